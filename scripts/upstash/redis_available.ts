/** For tests that need the local Redis: whether it answers, so they can skip with a reason when it does not. */
import { connectResp } from "./resp_client.ts";

/** The Redis the tests use: REDIS_URL, else redis://127.0.0.1:6379. */
export const testRedisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** Undefined when Redis answers PING; otherwise the reason to give for skipping. */
export async function redisSkipReason(url = testRedisUrl): Promise<string | undefined> {
  try {
    const client = await connectResp(url);
    try {
      await client.command(["PING"]);
      return undefined;
    } finally {
      client.close();
    }
  } catch (error) {
    return `no Redis at ${url} (${error instanceof Error ? error.message : String(error)}); start redis-server`;
  }
}
