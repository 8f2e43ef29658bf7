/**
 * Text PostgreSQL cannot store or that is not Unicode: the NUL character (`\u0000` in JSON; Postgres refuses it in
 * text and jsonb with "unsupported Unicode escape sequence") and unpaired UTF-16 surrogates (`\ud800` alone), which
 * name no character. The functions refuse request bodies that carry either, naming each field (422); the worker
 * replaces them in what it reports, since ComfyUI's messages are not its to refuse.
 */

/** A NUL, or a surrogate without its partner. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the NUL character is what this finds.
const UNSAFE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const UNSAFE_ALL = new RegExp(UNSAFE.source, "g");

/** JSON text that may hold such a string: only escapes can put them there (raw NUL is not valid JSON). */
const SUSPECT_JSON = /\\u(?:0000|d[89a-f][0-9a-f]{2})/i;

export interface TextProblem {
  path: (string | number)[];
  message: string;
}

function problemWith(text: string): string | undefined {
  const found = UNSAFE.exec(text)?.[0];
  if (found === undefined) return undefined;
  return found === "\u0000"
    ? "must not contain the NUL character (\\u0000)"
    : "must be valid Unicode: it holds an unpaired surrogate";
}

/** Every string (and object key) in `value` that is unsafe, by path; at most `limit` of them. */
export function unsafeText(value: unknown, limit = 20): TextProblem[] {
  const problems: TextProblem[] = [];
  const visit = (node: unknown, path: (string | number)[]) => {
    if (problems.length >= limit) return;
    if (typeof node === "string") {
      const message = problemWith(node);
      if (message) problems.push({ path, message });
    } else if (Array.isArray(node)) {
      for (const [index, item] of node.entries()) visit(item, [...path, index]);
    } else if (node !== null && typeof node === "object") {
      for (const [key, child] of Object.entries(node)) {
        const message = problemWith(key);
        if (message) problems.push({ path: [...path, key], message: `its name ${message}` });
        visit(child, [...path, key]);
      }
    }
  };
  visit(value, []);
  return problems;
}

/** The unsafe strings of a JSON text, by path; none (cheaply) when the text has no escape that could make one. */
export function unsafeJsonText(text: string): TextProblem[] {
  if (!SUSPECT_JSON.test(text)) return [];
  try {
    return unsafeText(JSON.parse(text));
  } catch {
    return []; // Not JSON: the body's own parser refuses it (invalid_json).
  }
}

/** `text` with each NUL and unpaired surrogate replaced by U+FFFD, the replacement character. */
export function safeText(text: string): string {
  return text.replace(UNSAFE_ALL, "\ufffd");
}
