// Starts GraphiQL on polyshop's /graphql: a file of its own, not an inline script, so the
// page's Content-Security-Policy allows scripts from the shop alone. The session cookie
// goes with every request (same origin); a bearer token can be set in the Headers tab.
(function () {
  "use strict";
  var root = document.getElementById("graphiql");
  var endpoint = root.getAttribute("data-endpoint");
  var socket = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + endpoint;
  var fetcher = GraphiQL.createFetcher({ url: endpoint, subscriptionUrl: socket });
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      shouldPersistHeaders: false,
    })
  );
})();
