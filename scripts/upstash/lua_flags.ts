/**
 * Upstash's server accepts a Lua shebang flag that Redis 7.0 does not know: @upstash/ratelimit's scripts
 * start `#!lua flags=allow-key-locking`, and Redis answers "Unexpected flag in script shebang". The proxy
 * drops that flag from scripts it passes on and remembers which SHA1 the client knows each script by, so
 * EVALSHA with the client's hash runs the script Redis actually holds (NOSCRIPT still reaches the client when
 * Redis has neither, and its EVAL fallback loads it again).
 */
import { createHash } from "node:crypto";

const UNKNOWN_FLAGS = new Set(["allow-key-locking"]);
const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");

/** Rewrites EVAL, EVAL_RO, EVALSHA and EVALSHA_RO for Redis; other commands pass as they are. */
export class LuaFlagRewriter {
  /** The client's SHA1 of a script → the SHA1 of the script Redis was given. */
  private readonly shas = new Map<string, string>();

  command(args: unknown[]): unknown[] {
    const name = String(args[0]).toUpperCase();
    if ((name === "EVAL" || name === "EVAL_RO") && typeof args[1] === "string") {
      return [args[0], this.script(args[1]), ...args.slice(2)];
    }
    if ((name === "EVALSHA" || name === "EVALSHA_RO") && typeof args[1] === "string") {
      return [args[0], this.shas.get(args[1].toLowerCase()) ?? args[1], ...args.slice(2)];
    }
    return args;
  }

  private script(text: string): string {
    const match = /^#!lua flags=([^\n]*)/.exec(text);
    if (!match) return text;
    const kept = match[1].split(",").filter((flag) => flag.trim() && !UNKNOWN_FLAGS.has(flag.trim()));
    if (kept.length === match[1].split(",").length) return text;
    const rewritten = `#!lua${kept.length > 0 ? ` flags=${kept.join(",")}` : ""}${text.slice(match[0].length)}`;
    this.shas.set(sha1(text), sha1(rewritten));
    return rewritten;
  }
}
