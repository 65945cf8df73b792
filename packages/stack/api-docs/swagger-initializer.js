// Swagger UI for the public API document served next to this file (docs/openapi.json).
// A file of its own because the edge's Content-Security-Policy allows no inline script.
window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: 'openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    // Never send the document to the public validator badge service.
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
});
