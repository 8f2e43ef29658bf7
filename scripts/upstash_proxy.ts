/**
 * `npm run upstash-proxy`: the Upstash REST protocol over a local Redis, for the local stack and tests.
 * Environment: REDIS_URL (redis://127.0.0.1:6379), UPSTASH_PROXY_PORT (8079), UPSTASH_REDIS_REST_TOKEN (the token
 * clients must send; `kiln-local` by default). Point the API at it with UPSTASH_REDIS_REST_URL and the same token.
 */
import { startUpstashProxy } from "./upstash/upstash_proxy.ts";

const token = process.env.UPSTASH_REDIS_REST_TOKEN ?? "kiln-local";
const proxy = await startUpstashProxy({
  redisUrl: process.env.REDIS_URL,
  token,
  port: Number(process.env.UPSTASH_PROXY_PORT ?? 8079),
});
console.log(`Upstash REST proxy on ${proxy.url} → ${process.env.REDIS_URL ?? "redis://127.0.0.1:6379"}`);
console.log(`  UPSTASH_REDIS_REST_URL=${proxy.url}`);
console.log(
  process.env.UPSTASH_REDIS_REST_TOKEN
    ? "  UPSTASH_REDIS_REST_TOKEN: the value in your environment"
    : `  UPSTASH_REDIS_REST_TOKEN=${token}`,
);
const stop = () => void proxy.stop().then(() => process.exit(0));
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
