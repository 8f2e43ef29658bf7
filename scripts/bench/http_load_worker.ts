/** The worker thread of httpLoad: runs the plan it is given and posts back the result (or the error). */
import { parentPort, workerData } from "node:worker_threads";
import { type HttpLoadPlan, runHttpLoad } from "./http_load.ts";

try {
  parentPort?.postMessage({ result: await runHttpLoad(workerData as HttpLoadPlan) });
} catch (error) {
  parentPort?.postMessage({ error: error instanceof Error ? error.message : String(error) });
}
