/**
 * The Node globals that npm packages in the function bundles use (postgres.js: `Buffer`, `process`,
 * `setImmediate`), as explicit `node:` imports. The hosted Edge Runtime (Deno 2.1.4) defines these globals only
 * for modules under node_modules/, and a bundle is not there, so `npm run build:functions` injects this module:
 * esbuild points each free use of these names at these imports. Deno would refuse a bare `Buffer` at start.
 */
export { Buffer } from "node:buffer";
export { default as process } from "node:process";
export { clearImmediate, setImmediate } from "node:timers";

/** Node's `global`: the one global object. */
export const global: typeof globalThis = globalThis;
