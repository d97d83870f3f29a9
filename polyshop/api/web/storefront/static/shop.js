// polyshop storefront: progressive enhancement only. Every flow works without this file.
(function () {
  "use strict";

  // Search suggestions: names from /api/v1/products/suggest under the search box.
  function suggestions(form) {
    var input = form.querySelector("input[name=q]");
    var endpoint = form.getAttribute("data-suggest");
    if (!input || !endpoint) return;
    var list = document.createElement("ul");
    list.className = "suggest";
    list.id = "q-suggestions";
    list.hidden = true;
    form.appendChild(list);
    input.setAttribute("aria-controls", list.id);
    var timer = null;
    var asked = "";
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = input.value.trim();
        if (q.length < 2) { list.hidden = true; return; }
        asked = q;
        fetch(endpoint + "?q=" + encodeURIComponent(q) + "&limit=6", { headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
          .then(function (body) {
            if (q !== asked) return;
            var names = body.suggestions || [];
            list.textContent = "";
            names.forEach(function (name) {
              var item = document.createElement("li");
              var link = document.createElement("a");
              link.href = "/search?q=" + encodeURIComponent(name);
              link.textContent = name;
              item.appendChild(link);
              list.appendChild(item);
            });
            list.hidden = names.length === 0;
          })
          .catch(function () { list.hidden = true; });
      }, 150);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Escape") list.hidden = true;
    });
    document.addEventListener("click", function (event) {
      if (!form.contains(event.target)) list.hidden = true;
    });
  }

  // Variant picker: the price and stock of the chosen variant shown beside the button.
  function variants(form) {
    var out = form.querySelector("[data-chosen]");
    if (!out) return;
    form.addEventListener("change", function (event) {
      var input = event.target;
      if (!input || input.name !== "sku") return;
      out.textContent = input.getAttribute("data-summary") || "";
    });
  }

  document.querySelectorAll("form[data-suggest]").forEach(suggestions);
  document.querySelectorAll("form[data-variants]").forEach(variants);
})();
