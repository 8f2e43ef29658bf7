/**
 * POST /v1/heartbeat: for each running job, the phase and progress; extends each lease. Answers per job:
 * held (with `cancel_requested`: the owner asked to cancel, so interrupt and report canceled) or not held
 * (not_found, lease_lost: drop it and report nothing). One lost job never fails the others: all go to
 * kiln.heartbeat_jobs in one round trip, each in a subtransaction of its own. An empty list just says
 * "still alive".
 */
import type postgres from "postgres";
import { SQLSTATE_CODES } from "../../../../shared/errors.ts";
import { HeartbeatRequest, type HeartbeatResponse } from "../../../../shared/worker_protocol.ts";
import type { WorkersDeps } from "../deps.ts";
import { validBody } from "../http/valid_input.ts";
import type { WorkersApp } from "../http/workers_types.ts";

type Beat =
  | { id: string; held: true; cancel_requested: boolean; lease_expires_at: string }
  | { id: string; held: false; sqlstate: string; message: string };

export function registerHeartbeat(app: WorkersApp, deps: WorkersDeps): void {
  app.post("/v1/heartbeat", async (c) => {
    const body = await validBody(c, HeartbeatRequest);
    const sql = deps.sql;
    const [{ beats }] = await sql<{ beats: Beat[] }[]>`
      select kiln.heartbeat_jobs(${c.get("worker").id}, ${sql.json(body.jobs as postgres.JSONValue)}) as beats`;
    const response: HeartbeatResponse = {
      jobs: beats.map((b) =>
        b.held
          ? { ...b, lease_expires_at: new Date(b.lease_expires_at).toISOString() }
          : { id: b.id, held: false, code: SQLSTATE_CODES[b.sqlstate] ?? "internal", message: b.message },
      ),
    };
    return c.json(response);
  });
}
