// louise web app: the few lines of behaviour the pages need (no build step, no CDN).
(function () {
  "use strict";
  // A form marked data-once sends once: its submit buttons are disabled after the first
  // submit (the server's Idempotency-Key still makes a second request book nothing twice).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-once")) return;
    if (form.dataset.sent === "1") { event.preventDefault(); return; }
    form.dataset.sent = "1";
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (b) {
        b.setAttribute("aria-disabled", "true");
        b.disabled = true;
      });
    }, 0);
  }, true);
  // Every htmx request carries the page's CSRF token (forms carry their own field too).
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) event.detail.headers["X-CSRFToken"] = meta.getAttribute("content");
  });
})();
