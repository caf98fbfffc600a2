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
  // A picked address suggestion is in the field at once: the server's answer (the field
  // swapped whole) may come after the resident has already pressed "Continue".
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("button.suggestion") : null;
    var field = button ? button.closest(".address-field") : null;
    var input = field ? field.querySelector("input[name=address]") : null;
    if (input) { input.value = button.textContent.trim(); chooseNewAddress(input); }
  });
  // Typing an address means a new one: a resident with saved addresses has one of them
  // checked, and the typed text was ignored (the booking went to the saved address).
  function chooseNewAddress(input) {
    var form = input.form;
    var choice = form ? form.querySelector("input[type=radio][name=address_id][value=new]") : null;
    if (choice && input.value.trim() !== "") choice.checked = true;
  }
  document.addEventListener("input", function (event) {
    var input = event.target;
    if (input instanceof HTMLInputElement && input.name === "address") chooseNewAddress(input);
  });
  // Every htmx request carries the page's CSRF token (forms carry their own field too).
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) event.detail.headers["X-CSRFToken"] = meta.getAttribute("content");
  });
})();
