/** For tests of queue wake-ups: LISTEN on `kiln_queue` over a connection of its own, keeping every payload heard. */
import postgres from "postgres";
import { QUEUE_CHANNEL } from "../../../../shared/channels.ts";

export interface QueueListener {
  /** Payloads (job types) in the order they arrived. */
  heard: string[];
  /** Waits until `n` have arrived or 3 s have passed; answers how many have. */
  until(n: number): Promise<number>;
  close(): Promise<void>;
}

export async function listenToQueue(dbUrl: string): Promise<QueueListener> {
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  const heard: string[] = [];
  await sql.listen(QUEUE_CHANNEL, (payload) => heard.push(payload));
  return {
    heard,
    until: async (n) => {
      for (let waited = 0; heard.length < n && waited < 3000; waited += 20) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return heard.length;
    },
    close: () => sql.end(),
  };
}
