// Live prices (portfolia/live.py): an element with data-live-version polls its page with hx-trigger
// "every Ns, live-poll". Here, without inline script (the CSP forbids it) nor eval (htmx trigger
// filters need it): a poll is cancelled while the tab is hidden, and a tab coming back into view
// asks once at once rather than waiting for the next tick.
(function () {
  "use strict";
  document.addEventListener("htmx:beforeRequest", function (event) {
    var element = event.detail && event.detail.elt;
    if (element && element.hasAttribute("data-live-version") && document.visibilityState !== "visible") {
      event.preventDefault();
    }
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState !== "visible" || !window.htmx) return;
    document.querySelectorAll("[data-live-version]").forEach(function (element) {
      window.htmx.trigger(element, "live-poll");
    });
  });
})();
