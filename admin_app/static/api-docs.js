// Starts Swagger UI on /api/docs (templates/api/docs.html) with the app's OpenAPI document: a
// file of ours rather than the usual inline script, so the page keeps the panel's policy.
(function () {
  "use strict";
  const root = document.getElementById("swagger-ui");
  if (!root || !window.SwaggerUIBundle) return;
  window.SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    deepLinking: true,
    // No badge asked of an outside validator: the page loads nothing from elsewhere.
    validatorUrl: null,
  });
})();
