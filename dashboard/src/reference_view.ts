/**
 * Scalar's API reference, mounted on an element: the api's own `/openapi.json`, request samples (curl first,
 * JavaScript among them) and "try it" with the signed-in session's token as the bearer. Loaded only when the API
 * reference page opens (a chunk of its own), so the rest of the dashboard stays small. Nothing is fetched from
 * elsewhere: no fonts from a CDN, no telemetry, no hosted AI chat.
 */
import { createApiReference } from "@scalar/api-reference";
import "@scalar/api-reference/style.css";

export function mountReference(element: HTMLElement, document: object, token: string): () => void {
  const app = createApiReference(element, {
    content: document,
    authentication: { preferredSecurityScheme: "bearer", securitySchemes: { bearer: { token } } },
    defaultHttpClient: { targetKey: "shell", clientKey: "curl" },
    withDefaultFonts: false,
    telemetry: false,
    hideDarkModeToggle: true,
    showDeveloperTools: "never",
    // Scalar's hosted AI chat would send the document elsewhere.
    agent: { disabled: true },
  });
  return () => app.destroy();
}
