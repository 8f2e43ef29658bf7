/**
 * The tenancy matrix: one account's things stay its own, whatever another account tries. It is built from the
 * api function's `/openapi.json`, never a hand list, so a route added later is covered without editing this file:
 * every operation is called as another tenant (with a session and with a key holding every scope), each path id
 * replaced by each of the victim's ids, bodies valid so the call reaches the ownership check. Then the same
 * tenant reads every public table through supabase-js, joins the victim's Realtime topic and asks Storage for the
 * victim's files. A leak is any success on a victim's id, any answer carrying the victim's ids or names, or any
 * change to the victim's things.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { subscribed, webSocketTransport } from "../../scripts/local/realtime/test_clients.ts";
import { Random, resolve, type Schema, validValue } from "../../scripts/testing/fuzz/schema_values.ts";
import { SCOPES } from "../functions/api/auth/principal.ts";
import { type ApiHarness, startApiHarness, type TestUser } from "../functions/api/testing/api_harness.ts";

interface Victim {
  user: TestUser;
  ids: Record<string, string>;
  /** Strings no other tenant may ever be shown: ids, email, key prefix, webhook secret. */
  secrets: string[];
}

describe("the tenancy matrix", { timeout: 240_000 }, () => {
  let h: ApiHarness;
  let victim: Victim;
  let attacker: TestUser;
  let attackerKey: string;
  // biome-ignore lint/suspicious/noExplicitAny: the OpenAPI document as served.
  let document: any;

  const json = async (response: Response, status: number) => {
    const text = await response.text();
    assert.equal(response.status, status, text);
    return JSON.parse(text);
  };

  before(async () => {
    h = await startApiHarness();
    const admin = await h.user({ admin: true });
    const user = await h.user({ credits: 1_000_000 });
    const as = (method: string, path: string, body?: unknown) => h.call(method, path, { auth: user.token, body });
    const job = await json(await as("POST", "/v1/jobs", { type: "txt2img", params: { prompt: "mine" } }), 201);
    const key = await json(await as("POST", "/v1/keys", { name: "victim key", scopes: ["jobs:read"] }), 201);
    const hook = await json(await as("POST", "/v1/webhooks", { url: "https://example.com/victim" }), 201);
    await json(await as("POST", `/v1/webhooks/${hook.webhook.id}/test`), 202);
    const [delivery] = await h.sql<{ id: string }[]>`
      select id from public.webhook_deliveries where owner_id = ${user.id} limit 1`;
    const upload = await json(await as("POST", "/v1/uploads", { content_type: "image/png" }), 201);
    const storage = createClient(h.target.url, h.target.anonKey, {
      auth: { persistSession: false },
      global: { headers: { authorization: `Bearer ${user.token}` } },
      realtime: { transport: webSocketTransport },
    }).storage;
    const put = await storage
      .from("inputs")
      .uploadToSignedUrl(
        upload.path,
        upload.token,
        new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], { type: "image/png" }),
        {
          contentType: "image/png",
        },
      );
    assert.equal(put.error, null);
    const workflow = await json(
      await h.call("POST", "/v1/admin/workflows", {
        auth: admin.token,
        body: {
          name: "victim's private workflow",
          job_type: "workflow",
          owner_id: user.id,
          graph: { "3": { class_type: "KSampler", inputs: { steps: 20, seed: 1 } } },
        },
      }),
      201,
    );
    victim = {
      user,
      ids: {
        user: user.id,
        job: job.id,
        key: key.api_key.id,
        webhook: hook.webhook.id,
        delivery: delivery.id,
        upload: upload.upload_id,
        workflow: workflow.id,
      },
      secrets: [
        user.id,
        user.email,
        job.id,
        key.api_key.id,
        key.api_key.prefix,
        hook.webhook.id,
        hook.secret,
        delivery.id,
        upload.upload_id,
        workflow.id,
      ],
    };
    attacker = await h.user({ credits: 1_000_000 });
    attackerKey = await h.apiKey(attacker, [...SCOPES]);
    document = await (await h.call("GET", "/openapi.json")).json();
  });
  after(() => h?.close());

  /** The victim's strings in `text`, except `allowed` (an id the request itself carried, echoed in a refusal). */
  const leaked = (text: string, allowed: string[] = []) =>
    victim.secrets.filter((secret) => !allowed.includes(secret) && text.includes(secret));

  it("refuses every operation on the victim's ids, and shows the victim's things in no answer", async () => {
    const random = new Random(20261206);
    const components = document.components?.schemas ?? {};
    const leaks: string[] = [];
    const exercised = new Map<string, Set<number>>();
    let requests = 0;
    for (const [template, methods] of Object.entries(document.paths as Record<string, Record<string, Schema>>)) {
      for (const [method, op] of Object.entries(methods)) {
        const route = `${method.toUpperCase()} ${template}`;
        const bodySchema = op.requestBody?.content?.["application/json"]?.schema;
        const hasId = template.includes("{id}");
        for (const id of hasId ? Object.values(victim.ids) : [undefined]) {
          for (const auth of [attacker.token, attackerKey]) {
            const path = template.replace(/^\/api/, "").replace("{id}", id ?? "");
            // A valid body (examples first), so a refusal is about whose id it is, not about the body.
            const body = bodySchema
              ? validValue({ ...resolve(bodySchema, components) }, components, random)
              : undefined;
            const response = await h.call(method.toUpperCase(), path, { auth, body });
            requests++;
            const text = await response.text();
            if (hasId) exercised.set(route, (exercised.get(route) ?? new Set()).add(response.status));
            if (hasId && response.status < 300)
              leaks.push(`${route} with the victim's ${id}: ${response.status} ${text.slice(0, 120)}`);
            const shown = leaked(text, id ? [id] : []);
            if (shown.length > 0) leaks.push(`${route}: the answer shows ${shown.join(", ")}`);
          }
        }
      }
    }
    console.log(`tenancy matrix: ${requests} requests over ${exercised.size} operations on ids; ${leaks.length} leaks`);
    assert.deepEqual(leaks, []);
    // Each operation on an id must have been refused for ownership (404/403) at least once, not only on its body.
    const unreached = [...exercised].filter(([, statuses]) => ![...statuses].some((s) => s === 404 || s === 403));
    assert.deepEqual(
      unreached.map(([route, statuses]) => `${route}: ${[...statuses].join(",")}`),
      [],
    );
    assert.ok(exercised.size >= 15, `${exercised.size} operations on ids were tried`);
  });

  it("left every one of the victim's things as it was", async () => {
    const [job] = await h.sql`select status, cancel_requested from public.jobs where id = ${victim.ids.job}`;
    assert.deepEqual({ ...job }, { status: "queued", cancel_requested: false });
    const [key] = await h.sql`select name, revoked_at from public.api_keys where id = ${victim.ids.key}`;
    assert.deepEqual({ ...key }, { name: "victim key", revoked_at: null });
    const [hook] = await h.sql`select url, enabled from public.webhook_endpoints where id = ${victim.ids.webhook}`;
    assert.deepEqual({ ...hook }, { url: "https://example.com/victim", enabled: true });
    const [workflow] = await h.sql`select enabled from public.workflows where id = ${victim.ids.workflow}`;
    assert.equal(workflow.enabled, true);
    const [profile] = await h.sql`select credits::int, role from public.profiles where id = ${victim.user.id}`;
    assert.equal(profile.role, "user");
    const [{ n }] =
      await h.sql`select count(*)::int as n from public.webhook_deliveries where owner_id = ${victim.user.id}`;
    assert.equal(n, 1, "no delivery was replayed for the victim");
  });

  it("shows none of the victim's rows through supabase-js, in any public table", async () => {
    const supabase: SupabaseClient = createClient(h.target.url, h.target.anonKey, {
      auth: { persistSession: false, autoRefreshToken: false },
      global: { headers: { authorization: `Bearer ${attacker.token}` } },
      realtime: { transport: webSocketTransport },
    });
    const tables = await h.sql<{ table_name: string }[]>`
      select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`;
    assert.ok(tables.length >= 8);
    for (const { table_name } of tables) {
      const { data, error } = await supabase.from(table_name).select("*");
      const text = JSON.stringify(data ?? error);
      assert.deepEqual(leaked(text), [], `${table_name}: ${text.slice(0, 200)}`);
    }
  });

  it("keeps the victim's Realtime topic and Storage files from the other tenant", async () => {
    const supabase = createClient(h.target.url, h.target.anonKey, {
      auth: { persistSession: false, autoRefreshToken: false },
      global: { headers: { authorization: `Bearer ${attacker.token}` } },
      realtime: { transport: webSocketTransport },
    });
    await supabase.realtime.setAuth(attacker.token);
    const channel = supabase.channel(`user:${victim.user.id}`, { config: { private: true } });
    await assert.rejects(subscribed(channel, 5000));
    await supabase.removeAllChannels();

    const path = `${victim.user.id}/uploads/${victim.ids.upload}`;
    const download = await supabase.storage.from("inputs").download(path);
    assert.ok(download.error, "the victim's input image is not the attacker's to read");
    const listing = await supabase.storage.from("inputs").list(`${victim.user.id}/uploads`);
    assert.deepEqual(listing.data ?? [], []);
    const signed = await supabase.storage.from("inputs").createSignedUrl(path, 60);
    assert.ok(signed.error, "nor to sign");
    const removed = await supabase.storage.from("inputs").remove([path]);
    assert.deepEqual(removed.data ?? [], []);
    const [object] = await h.sql`select 1 from storage.objects where bucket_id = 'inputs' and name = ${path}`;
    assert.ok(object, "the victim's file is still there");
  });
});
