// Starts Swagger UI on /api/docs (louise/templates/swagger_ui.html). A file of its own, not an
// inline script, so the page's Content-Security-Policy allows scripts from 'self' only.
window.addEventListener("load", function () {
  var container = document.getElementById("swagger-ui-container");
  window.ui = SwaggerUIBundle({
    url: container.dataset.specUrl,
    dom_id: "#swagger-ui-container",
  });
});
