// Mounts Swagger UI on the embedded OpenAPI document. Kept out of the page
// because the Content-Security-Policy allows no inline script.
(function () {
  "use strict";
  window.ui = window.SwaggerUIBundle({
    url: "/api/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    // The default validator is a badge image from swagger.io: nothing may
    // leave this origin.
    validatorUrl: null,
    tryItOutEnabled: false,
    persistAuthorization: false
  });
})();
