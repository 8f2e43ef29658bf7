/**
 * The API fuzzer: requests generated from the api function's own `/openapi.json`, for every operation, sent
 * through the local stack's gateway as any client would. Each request varies what the document declares (path
 * ids, query parameters, headers, the body) with valid and hostile values, and how it authenticates (none, a user,
 * an admin, an API key, a revoked key, expired, forged and `alg: none` tokens, malformed headers). Every answer is
 * held to the API's promises: never a 5xx, and every refusal in the error envelope, with a known code under its own
 * status and the request id of the `x-request-id` header. One seed drives everything, so a failure replays.
 */
import { ERROR_CODES, type ErrorCode } from "../../../shared/errors.ts";
import {
  hostileValue,
  type Json,
  mutateBody,
  NASTY_STRINGS,
  Random,
  resolve,
  type Schema,
  validValue,
} from "./schema_values.ts";

interface Operation {
  method: string;
  path: string;
  parameters: { name: string; in: "path" | "query" | "header"; schema?: Schema }[];
  body?: Schema;
}

export interface FuzzCredentials {
  user: string;
  admin: string;
  apiKey: string;
  revokedKey: string;
  expired: string;
  forged: string;
  algNone: string;
}

export interface FuzzTarget {
  /** The api function's base URL, e.g. http://127.0.0.1:54321/functions/v1/api. */
  apiUrl: string;
  // biome-ignore lint/suspicious/noExplicitAny: the OpenAPI document as served.
  document: any;
  credentials: FuzzCredentials;
  /** Ids that exist (the fuzzing user's job, key, webhook…), mixed with random and malformed ones. */
  knownIds: string[];
}

export interface FuzzFailure {
  request: string;
  status: number;
  problem: string;
}

export interface FuzzReport {
  seed: number;
  requests: number;
  byStatus: Record<number, number>;
  operations: number;
  failures: FuzzFailure[];
}

function operationsOf(document: FuzzTarget["document"]): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(document.paths as Record<string, Record<string, Schema>>)) {
    for (const [method, op] of Object.entries(methods)) {
      ops.push({
        method: method.toUpperCase(),
        path,
        parameters: op.parameters ?? [],
        body: op.requestBody?.content?.["application/json"]?.schema,
      });
    }
  }
  return ops;
}

/** Which credentials a request carries: mostly valid ones (to get past auth), and every kind of bad one. */
function authHeaders(credentials: FuzzCredentials, random: Random, op: Operation): Record<string, string> {
  const roll = random.next();
  // The maintenance switch would turn every create into a 503 for the rest of the run: it is fuzzed as a user.
  const admin = op.path.endsWith("/admin/settings") ? credentials.user : credentials.admin;
  if (roll < 0.3) return { authorization: `Bearer ${credentials.apiKey}` };
  if (roll < 0.5) return { authorization: `Bearer ${credentials.user}` };
  if (roll < 0.65) return { authorization: `Bearer ${admin}` };
  return random.pick<Record<string, string>>([
    {},
    { authorization: `Bearer ${credentials.revokedKey}` },
    { authorization: `Bearer ${credentials.expired}` },
    { authorization: `Bearer ${credentials.forged}` },
    { authorization: `Bearer ${credentials.algNone}` },
    { authorization: "Bearer" },
    { authorization: "Bearer a b c" },
    { authorization: `Basic ${btoa("user:pass")}` },
    { "x-api-key": "kiln_sk_notarealkeyatall" },
    { "x-api-key": credentials.apiKey.slice(0, -1) },
  ]);
}

function pathValue(target: FuzzTarget, random: Random): string {
  const roll = random.next();
  if (roll < 0.5 && target.knownIds.length > 0) return random.pick(target.knownIds);
  if (roll < 0.75) return crypto.randomUUID();
  return random.pick(NASTY_STRINGS.filter((s) => s !== "")) ?? "x";
}

function queryValue(schema: Schema | undefined, components: Record<string, Schema>, random: Random): string {
  const value: Json = random.chance(0.6)
    ? validValue(schema ?? {}, components, random)
    : hostileValue(schema ?? {}, components, random);
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Header parameters: never a long `Prefer: wait`, which would hold the run for a minute. */
function headerValue(name: string, random: Random): string {
  if (name === "prefer") return random.pick(["wait=0", "wait=1", "respond-async", "wait=abc", "wait=-5", "wait=1.5"]);
  return random.pick(["order-1", "", " ", "x".repeat(300), "ünïcödé", crypto.randomUUID()]);
}

/** A path segment, percent-encoded; a lone surrogate becomes the invalid UTF-8 a careless client would send. */
function encodePathSegment(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return `${encodeURIComponent(value.replace(/[\ud800-\udfff]/g, ""))}%ED%A0%80`;
  }
}

/** One generated request. */
function generate(
  target: FuzzTarget,
  op: Operation,
  random: Random,
): { url: string; init: RequestInit & { headers: Record<string, string> } } {
  const components = target.document.components?.schemas ?? {};
  let path = op.path.replace(/^\/api/, "");
  const query = new URLSearchParams();
  const headers: Record<string, string> = authHeaders(target.credentials, random, op);
  for (const parameter of op.parameters) {
    if (parameter.in === "path") {
      path = path.replace(`{${parameter.name}}`, encodePathSegment(pathValue(target, random)));
    } else if (parameter.in === "query" && random.chance(0.5)) {
      query.set(parameter.name, queryValue(parameter.schema, components, random));
    } else if (parameter.in === "header" && random.chance(0.5)) {
      headers[parameter.name] = headerValue(parameter.name, random);
    }
  }
  if (random.chance(0.05)) query.set(random.pick(["unknown", "limit", "cursor"]), random.pick(NASTY_STRINGS));
  if (random.chance(0.1)) headers["x-request-id"] = random.pick(["short", "a".repeat(200), "req_ok-123456", "ü"]);
  let body: string | undefined;
  if (op.body || (op.method !== "GET" && op.method !== "HEAD" && random.chance(0.05))) {
    const schema = resolve(op.body ?? {}, components);
    const roll = random.next();
    const valid = validValue(schema, components, random);
    if (roll < 0.65) body = JSON.stringify(mutateBody(valid, schema, components, random));
    else if (roll < 0.8) body = JSON.stringify(valid);
    else if (roll < 0.9)
      body = random.pick(["{", "[]", "nul", '{"a":1}{', "\u0000", '"text"', "1e999", `{"x":${"[".repeat(5000)}`]);
    else body = "";
    headers["content-type"] = random.chance(0.93)
      ? "application/json"
      : random.pick([
          "text/plain",
          "multipart/form-data; boundary=x",
          "application/json; charset=latin1",
          "application/xml",
        ]);
  }
  const search = query.toString();
  return {
    url: `${target.apiUrl}${path}${search ? `?${search}` : ""}`,
    init: { method: op.method, headers, body, redirect: "manual" },
  };
}

/** What is wrong with an answer, or undefined when it keeps the API's promises. */
async function problemWith(response: Response): Promise<string | undefined> {
  const text = await response.text();
  if (response.status >= 500) return `a ${response.status}: ${text.slice(0, 300)}`;
  if (response.status < 400) return undefined;
  let envelope: { error?: { code?: string; message?: string; request_id?: string } };
  try {
    envelope = JSON.parse(text);
  } catch {
    return `a ${response.status} that is not JSON: ${text.slice(0, 200)}`;
  }
  const error = envelope.error;
  if (!error || typeof error.message !== "string" || !error.code) return `no error envelope: ${text.slice(0, 200)}`;
  if (!(error.code in ERROR_CODES)) return `unknown code ${error.code}`;
  if (ERROR_CODES[error.code as ErrorCode].status !== response.status) {
    return `${error.code} under ${response.status}, not ${ERROR_CODES[error.code as ErrorCode].status}`;
  }
  if (!error.request_id || error.request_id !== response.headers.get("x-request-id")) {
    return `request id ${error.request_id} is not the x-request-id header's ${response.headers.get("x-request-id")}`;
  }
  return undefined;
}

/** Sends `count` generated requests, `concurrency` at a time, and reports what came back. */
export async function runApiFuzz(
  target: FuzzTarget,
  options: { seed: number; count: number; concurrency?: number },
): Promise<FuzzReport> {
  const random = new Random(options.seed);
  const ops = operationsOf(target.document);
  const report: FuzzReport = { seed: options.seed, requests: 0, byStatus: {}, operations: ops.length, failures: [] };
  // Every operation first, so a small run still covers all of them; then at random.
  const plan = Array.from({ length: options.count }, (_, i) => (i < ops.length ? ops[i] : random.pick(ops)));
  const requests = plan.map((op) => ({ op, ...generate(target, op, random) }));
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const { op, url, init } = requests[next++];
      const label = `${op.method} ${url.slice(target.apiUrl.length, target.apiUrl.length + 160)}`;
      let response: Response;
      try {
        response = await fetch(url, init);
      } catch (error) {
        // Headers fetch itself refuses to send (a client error, not the server's) are skipped, not counted.
        if (error instanceof TypeError && /header|ByteString/i.test(String(error.message))) continue;
        report.failures.push({ request: label, status: 0, problem: `no answer: ${String(error)}` });
        report.requests++;
        continue;
      }
      report.requests++;
      report.byStatus[response.status] = (report.byStatus[response.status] ?? 0) + 1;
      const problem = await problemWith(response);
      if (problem) report.failures.push({ request: label, status: response.status, problem });
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
  return report;
}
