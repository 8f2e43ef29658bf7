/**
 * How each function's entry point serves its app: `Deno.serve`, as Supabase documents. The hosted Edge Runtime
 * routes requests to it whatever the options; a plain `deno run` (the Deno 2.1.4 suite, a local try) listens on
 * 127.0.0.1:KILN_SERVE_PORT when that is set (0: a free port), else on Deno's default, 0.0.0.0:8000.
 */
export function serveFunction(fetch: (request: Request) => Response | Promise<Response>): void {
  const port = Deno.env.get("KILN_SERVE_PORT");
  if (port === undefined) Deno.serve(fetch);
  else Deno.serve({ port: Number(port), hostname: "127.0.0.1" }, fetch);
}
