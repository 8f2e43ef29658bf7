/**
 * The API reference page (GET /docs), rendered on the server from the OpenAPI document: no script and no
 * CDN, so it works offline and in any browser. Operations grouped by tag; schemas at the end.
 */
import type { ApiDocument, OperationObject } from "./document.ts";

const html = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** Markdown-ish `code` spans of descriptions as <code>, everything else escaped. */
const prose = (text = "") => html(text).replace(/`([^`]+)`/g, "<code>$1</code>");

/** A schema as indented JSON, with each $ref a link to the schema it names. */
function schemaBlock(schema: unknown): string {
  const json = html(JSON.stringify(schema ?? {}, null, 2));
  return `<pre>${json.replace(/#\/components\/schemas\/([\w.-]+)/g, '<a href="#schema-$1">$1</a>')}</pre>`;
}

function operationHtml(method: string, path: string, op: OperationObject): string {
  const auth = op.security?.length ? op.security.flatMap((s) => Object.keys(s)).join(" or ") : "none";
  const params = (op.parameters ?? [])
    .map(
      (p) =>
        `<tr><td><code>${html(p.name)}</code></td><td>${p.in}</td><td>${p.required ? "yes" : "no"}</td>` +
        `<td>${prose(p.description)}</td></tr>`,
    )
    .join("");
  const body = op.requestBody?.content["application/json"]?.schema;
  const responses = Object.entries(op.responses)
    .map(([status, r]) => `<li><strong>${status}</strong> ${prose(r.description)}</li>`)
    .join("");
  return `<section class="op" id="${html(`${method}-${path}`)}">
<h3><span class="method ${method}">${method.toUpperCase()}</span> <code>${html(path)}</code>
${html(op.summary ?? "")}</h3>
${op.description ? `<p>${prose(op.description)}</p>` : ""}
<p>Authentication: ${html(auth)}</p>
${params ? `<table><tr><th>Parameter</th><th>In</th><th>Required</th><th>Description</th></tr>${params}</table>` : ""}
${body ? `<details><summary>Request body</summary>${schemaBlock(body)}</details>` : ""}
<ul>${responses}</ul>
</section>`;
}

/** The whole page for `doc`. */
export function renderDocsPage(doc: ApiDocument): string {
  const groups = new Map<string, string[]>();
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(operations)) {
      const tag = op.tags?.[0] ?? "Other";
      groups.set(tag, [...(groups.get(tag) ?? []), operationHtml(method, path, op)]);
    }
  }
  const schemas = Object.entries(doc.components?.schemas ?? {})
    .map(
      ([name, schema]) => `<section id="schema-${html(name)}"><h3>${html(name)}</h3>${schemaBlock(schema)}</section>`,
    )
    .join("\n");
  const nav = [...groups.keys()].map((tag) => `<a href="#tag-${html(tag)}">${html(tag)}</a>`).join(" · ");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${html(doc.info.title)} ${html(doc.info.version)}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#1d1d1f}
code,pre{font:13px ui-monospace,monospace}pre{background:#f5f5f7;padding:.75rem;overflow:auto;border-radius:6px}
.op{border-top:1px solid #ddd;padding:.5rem 0}.method{display:inline-block;min-width:4.5rem;font-size:12px;
color:#fff;border-radius:4px;text-align:center;padding:2px 4px}.get{background:#0a7d44}.post{background:#1d5fbf}
.patch{background:#a35d00}.delete{background:#b3261e}.put{background:#6b3fa0}table{border-collapse:collapse}
td,th{border:1px solid #ddd;padding:2px 8px;text-align:left}
</style></head><body>
<h1>${html(doc.info.title)} <small>${html(doc.info.version)}</small></h1>
<p>${prose(doc.info.description)}</p>
<p>Base URL: <code>${html(doc.servers?.[0]?.url ?? "")}</code> ·
The document: <a href="openapi.json">openapi.json</a></p>
<nav>${nav} · <a href="#schemas">Schemas</a></nav>
${[...groups].map(([tag, ops]) => `<h2 id="tag-${html(tag)}">${html(tag)}</h2>\n${ops.join("\n")}`).join("\n")}
<h2 id="schemas">Schemas</h2>
${schemas}
</body></html>`;
}
