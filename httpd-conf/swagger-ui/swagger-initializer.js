/*
 * Swagger UI for bpg-gateway.  The document is the gateway's own
 * (GET /skatev2/openapi.json, no credentials needed); "Try it out" sends
 * requests to this same site, where the web server asks for the user's
 * password (HTTP basic auth) like for any other client.  No request leaves
 * the site: the online validator is off.
 */
window.addEventListener("load", function () {
	"use strict";
	window.ui = SwaggerUIBundle({
		url: "/skatev2/openapi.json",
		dom_id: "#swagger-ui",
		deepLinking: true,
		layout: "BaseLayout",
		presets: [SwaggerUIBundle.presets.apis],
		validatorUrl: null,
		displayRequestDuration: true,
		defaultModelsExpandDepth: 0,
		tryItOutEnabled: false
	});
});
