// The admin's one script: "follow live" on the event log. Without it the page still works
// (reload to see new events); with it, the list refreshes itself every few seconds.
(function () {
  "use strict";
  var list = document.getElementById("events");
  if (!list || !list.dataset.live) { return; }
  var url = list.dataset.live;
  var busy = false;
  function refresh() {
    if (busy || document.hidden) { return; }
    busy = true;
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("events");
        if (fresh) { list.innerHTML = fresh.innerHTML; }
      })
      .catch(function () { /* offline for a moment: try again at the next tick */ })
      .then(function () { busy = false; });
  }
  window.setInterval(refresh, 3000);
}());
