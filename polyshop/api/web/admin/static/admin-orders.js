// The order page's time-travel slider, enhanced: the label follows the slider as it moves,
// and letting go redraws only the "as it was" panel (and the trail's highlighted line)
// from the same GET the form sends without this script.
(function () {
  "use strict";
  var form = document.getElementById("travel-form");
  var slider = document.getElementById("at");
  if (!form || !slider) { return; }
  var label = document.getElementById("at-label");
  var types = (slider.dataset.labels || "").split("|");
  var times = (slider.dataset.times || "").split("|");
  var pending = null;

  function describe(number) {
    var i = number - 1;
    return types[i] + " at " + times[i] + " UTC";
  }

  function mark(number) {
    var rows = document.querySelectorAll("#trail tbody tr");
    for (var i = 0; i < rows.length; i++) {
      rows[i].classList.toggle("current", rows[i].dataset.number === String(number));
    }
  }

  function show(number) {
    var url = form.getAttribute("action") + "?at=" + encodeURIComponent(number);
    if (pending) { pending.abort(); }
    pending = new AbortController();
    fetch(url, { credentials: "same-origin", signal: pending.signal, headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { form.submit(); return; }
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("then");
        var panel = document.getElementById("then");
        if (fresh && panel) { panel.innerHTML = fresh.innerHTML; }
        mark(number);
        window.history.replaceState(null, "", url);
      })
      .catch(function (error) { if (error.name !== "AbortError") { form.submit(); } });
  }

  slider.addEventListener("input", function () {
    var text = describe(Number(slider.value));
    label.textContent = slider.value + " of " + slider.max + ": " + text;
    slider.setAttribute("aria-valuetext", text);
  });
  slider.addEventListener("change", function () { show(Number(slider.value)); });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    show(Number(slider.value));
  });
}());
