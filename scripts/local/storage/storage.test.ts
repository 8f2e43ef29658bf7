/**
 * Storage through the official client, as Kiln uses it: the service role issues signed URLs, an anonymous client
 * that holds only a token uploads, and a plain fetch downloads. Runs against the local stack, and against a real
 * `supabase start` stack when KILN_SUPABASE_* are set (path traversal and the on-disk layout are local-only).
 */
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import WebSocket from "ws";
import { type StackTarget, stackTargets } from "../../testing/test_stack.ts";

// Node 20 has no global WebSocket, which supabase-js's Realtime client needs even when unused.
const clientOptions = {
  auth: { persistSession: false, autoRefreshToken: false },
  realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket },
};

/** Asserts a storage-js error carries Storage's status and (when given) message. */
function refused(error: unknown, statusCode: string, message?: RegExp): void {
  assert.ok(error, `expected a ${statusCode} refusal, got success`);
  const e = error as { statusCode?: string; message?: string };
  assert.equal(e.statusCode, statusCode, `statusCode of ${String(e.message)}`);
  if (message) assert.match(e.message ?? "", message);
}

for (const target of stackTargets()) {
  describe(`storage on ${target.name}`, { skip: target.skip }, () => {
    let stack: StackTarget;
    let service: SupabaseClient;
    let anon: SupabaseClient;
    const folder = `kiln-test/${randomUUID()}`;
    const png = () => randomBytes(2048);

    /** Issues an upload token for `path` in `bucket` with the service role. */
    async function uploadToken(bucket: string, path: string, upsert = false): Promise<string> {
      const { data, error } = await service.storage.from(bucket).createSignedUploadUrl(path, { upsert });
      assert.equal(error, null);
      return data?.token ?? "";
    }

    /** A signed download URL for `path` in `outputs`. */
    async function signedUrl(path: string, expiresIn = 60, download?: string): Promise<string> {
      const { data, error } = await service.storage.from("outputs").createSignedUrl(path, expiresIn, { download });
      assert.equal(error, null);
      return data?.signedUrl ?? "";
    }

    before(async () => {
      stack = await target.start();
      service = createClient(stack.url, stack.serviceRoleKey, clientOptions);
      anon = createClient(stack.url, stack.anonKey, clientOptions);
    });
    after(async () => {
      const { data } = await service.storage.from("outputs").list(folder, { limit: 1000 });
      const names = (data ?? []).map((entry) => `${folder}/${entry.name}`);
      if (names.length > 0) await service.storage.from("outputs").remove(names);
      await stack.stop();
    });

    it("uploads through a signed upload URL and serves the bytes through a signed URL", async () => {
      const path = `${folder}/out.png`;
      const { data: signed, error } = await service.storage.from("outputs").createSignedUploadUrl(path);
      assert.equal(error, null);
      assert.ok(signed?.signedUrl.startsWith(`${stack.url}/storage/v1/object/upload/sign/outputs/${path}?token=`));
      const bytes = png();
      const blob = new Blob([bytes], { type: "image/png" });
      const upload = await anon.storage.from("outputs").uploadToSignedUrl(path, signed?.token ?? "", blob);
      assert.equal(upload.error, null);
      assert.equal(upload.data?.fullPath, `outputs/${path}`);

      const res = await fetch(await signedUrl(path));
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "image/png");
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes);
    });

    it("takes raw bytes with their content type, and serves attachments on request", async () => {
      const path = `${folder}/raw.json`;
      const body = new TextEncoder().encode('{"ok":true}');
      const token = await uploadToken("outputs", path);
      const upload = await anon.storage
        .from("outputs")
        .uploadToSignedUrl(path, token, body, { contentType: "application/json" });
      assert.equal(upload.error, null);
      const res = await fetch(await signedUrl(path, 60, "result.json"));
      assert.equal(res.headers.get("content-type"), "application/json");
      assert.match(res.headers.get("content-disposition") ?? "", /^attachment/);
      assert.equal(await res.text(), '{"ok":true}');
    });

    it("lets the service role upload, download, list and remove; then the object is gone", async () => {
      const path = `${folder}/service/a.png`;
      const bytes = png();
      const up = await service.storage.from("outputs").upload(path, bytes, { contentType: "image/png" });
      assert.equal(up.error, null);
      assert.equal(up.data?.fullPath, `outputs/${path}`);
      const down = await service.storage.from("outputs").download(path);
      assert.equal(down.error, null);
      assert.deepEqual(Buffer.from((await down.data?.arrayBuffer()) ?? []), bytes);
      const listed = await service.storage.from("outputs").list(`${folder}/service`);
      assert.deepEqual(
        listed.data?.map((e) => e.name),
        ["a.png"],
      );
      const removed = await service.storage.from("outputs").remove([path]);
      assert.equal(removed.error, null);
      assert.deepEqual(
        removed.data?.map((e) => e.name),
        [path],
      );
      refused((await service.storage.from("outputs").download(path)).error, "404", /Object not found/);
      refused((await service.storage.from("outputs").createSignedUrl(path, 60)).error, "404", /Object not found/);
    });

    it("reads the buckets the migrations create", async () => {
      const { data, error } = await service.storage.getBucket("inputs");
      assert.equal(error, null);
      assert.equal(data?.public, false);
      assert.equal(Number(data?.file_size_limit), 20 * 1024 * 1024);
      assert.deepEqual(data?.allowed_mime_types, ["image/png", "image/jpeg", "image/webp"]);
      refused((await service.storage.getBucket("no-such-bucket")).error, "404", /Bucket not found/);
      refused((await service.storage.from("no-such-bucket").createSignedUploadUrl("x.png")).error, "404");
    });

    it("refuses a file over the bucket's size limit", async () => {
      const tooBig = new Uint8Array(20 * 1024 * 1024 + 1);
      const path = `${folder}/big.png`;
      const token = await uploadToken("inputs", path);
      const raw = await anon.storage
        .from("inputs")
        .uploadToSignedUrl(path, token, tooBig, { contentType: "image/png" });
      refused(raw.error, "413", /exceeded the maximum allowed size/);
      const blob = new Blob([tooBig], { type: "image/png" });
      refused((await anon.storage.from("inputs").uploadToSignedUrl(path, token, blob)).error, "413");
      refused((await service.storage.from("inputs").download(path)).error, "404");
    });

    it("refuses a MIME type the bucket does not allow, in Storage's error shape", async () => {
      const path = `${folder}/notes.txt`;
      const token = await uploadToken("inputs", path);
      const blob = new Blob(["hello"], { type: "text/plain" });
      refused(
        (await anon.storage.from("inputs").uploadToSignedUrl(path, token, blob)).error,
        "415",
        /mime type text\/plain is not supported/,
      );
      const res = await fetch(`${stack.url}/storage/v1/object/upload/sign/inputs/${path}?token=${token}`, {
        method: "PUT",
        headers: { "content-type": "text/plain" },
        body: "hello",
      });
      assert.equal(res.status, 400);
      const body = await res.json();
      assert.equal(body.statusCode, "415");
      assert.equal(body.error, "invalid_mime_type");
      assert.equal(body.message, "mime type text/plain is not supported");
    });

    it("refuses tampered, expired and mismatched tokens", async () => {
      const path = `${folder}/signed.png`;
      assert.equal(
        (await service.storage.from("outputs").upload(path, png(), { contentType: "image/png" })).error,
        null,
      );
      const url = new URL(await signedUrl(path));
      const token = url.searchParams.get("token") ?? "";
      const [head, payload, signature] = token.split(".");
      const flipped = signature[10] === "A" ? "B" : "A";
      url.searchParams.set("token", `${head}.${payload}.${signature.slice(0, 10)}${flipped}${signature.slice(11)}`);
      const tampered = await fetch(url);
      assert.equal(tampered.status, 400);
      const body = await tampered.json();
      assert.equal(body.statusCode, "400");
      assert.equal(body.error, "InvalidJWT");

      const other = `${folder}/other.png`;
      const wrongPath = await anon.storage.from("outputs").uploadToSignedUrl(other, token, png());
      refused(wrongPath.error, "400");
      const uploadToOther = await uploadToken("outputs", other);
      const moved = await anon.storage.from("outputs").uploadToSignedUrl(path, uploadToOther, png(), {
        contentType: "image/png",
      });
      refused(moved.error, "400");

      const shortLived = await signedUrl(path, 1);
      await sleep(2100);
      const expired = await fetch(shortLived);
      assert.equal(expired.status, 400);
      assert.match((await expired.json()).message, /expired/i);
    });

    it("refuses a duplicate without upsert, and replaces with upsert", async () => {
      const path = `${folder}/dup.png`;
      const first = await uploadToken("outputs", path);
      const second = await uploadToken("outputs", path);
      const blob = () => new Blob([png()], { type: "image/png" });
      assert.equal((await anon.storage.from("outputs").uploadToSignedUrl(path, first, blob())).error, null);
      refused((await anon.storage.from("outputs").uploadToSignedUrl(path, second, blob())).error, "409");
      refused((await service.storage.from("outputs").createSignedUploadUrl(path)).error, "409", /already exists/);
      refused((await service.storage.from("outputs").upload(path, blob())).error, "409");

      const replacement = png();
      const upsert = await uploadToken("outputs", path, true);
      const replaced = await anon.storage
        .from("outputs")
        .uploadToSignedUrl(path, upsert, new Blob([replacement], { type: "image/png" }));
      assert.equal(replaced.error, null);
      const res = await fetch(await signedUrl(path));
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), replacement);
    });

    it("refuses callers without the service role on routes that are not signed", async () => {
      const path = `${folder}/private.png`;
      assert.equal(
        (await service.storage.from("outputs").upload(path, png(), { contentType: "image/png" })).error,
        null,
      );
      refused((await anon.storage.from("outputs").createSignedUploadUrl(`${folder}/x.png`)).error, "403");
      refused((await anon.storage.from("outputs").upload(`${folder}/x.png`, png())).error, "403");
      refused((await anon.storage.from("outputs").createSignedUrl(path, 60)).error, "404");
      refused((await anon.storage.from("outputs").download(path)).error, "404");
      assert.deepEqual((await anon.storage.from("outputs").remove([path])).data, []);
      assert.equal((await service.storage.from("outputs").download(path)).error, null);

      const res = await fetch(`${stack.url}/storage/v1/object/sign/outputs/${path}`, {
        method: "POST",
        headers: { apikey: stack.anonKey, "content-type": "application/json" },
        body: JSON.stringify({ expiresIn: 60 }),
      });
      assert.equal(res.status, 400);
      const body = await res.json();
      assert.equal(body.statusCode, "403");
    });

    it("refuses names that would leave the bucket", { skip: target.name !== "local" }, async () => {
      for (const name of ["..%2F..%2Fescape.png", `${folder}/..%2F..%2F..%2Fescape.png`, "a/%2E%2E%2Fb.png"]) {
        refused((await service.storage.from("outputs").upload(name, png())).error, "400", /Invalid key/);
        const res = await fetch(`${stack.url}/storage/v1/object/upload/sign/outputs/${name}`, {
          method: "POST",
          headers: { apikey: stack.serviceRoleKey, authorization: `Bearer ${stack.serviceRoleKey}` },
        });
        assert.equal((await res.json()).statusCode, "400", name);
      }
      refused((await service.storage.from("outputs").upload(`${"a".repeat(1025)}.png`, png())).error, "400");
    });

    it("bucket API: creates, reads, updates, refuses deleting a full bucket, empties and deletes it", async () => {
      const id = `kiln-bucket-${randomUUID().slice(0, 8)}`;
      const created = await service.storage.createBucket(id, {
        public: false,
        fileSizeLimit: "1MB",
        allowedMimeTypes: ["image/png"],
      });
      assert.equal(created.error, null);
      assert.deepEqual(created.data, { name: id });
      refused((await service.storage.createBucket(id)).error, "409", /already exists/);
      refused((await anon.storage.createBucket(`${id}-anon`)).error, "403", /row-level security/);

      const got = await service.storage.getBucket(id);
      assert.deepEqual([got.data?.file_size_limit, got.data?.allowed_mime_types], [1_000_000, ["image/png"]]);
      assert.equal((await service.storage.updateBucket(id, { public: true, fileSizeLimit: 2048 })).error, null);
      const updated = await service.storage.getBucket(id);
      assert.deepEqual([updated.data?.public, updated.data?.file_size_limit], [true, 2048]);
      refused(
        (await service.storage.from(id).upload("big.png", randomBytes(4096), { contentType: "image/png" })).error,
        "413",
      );

      assert.equal(
        (await service.storage.from(id).upload("a/one.png", png(), { contentType: "image/png" })).error,
        null,
      );
      refused((await service.storage.deleteBucket(id)).error, "409", /not empty/);
      assert.equal((await service.storage.emptyBucket(id)).error, null);
      assert.deepEqual((await service.storage.from(id).list("a")).data, []);
      assert.equal((await service.storage.deleteBucket(id)).error, null);
      refused((await service.storage.getBucket(id)).error, "404");
    });

    it("objects: custom metadata, info, update, copy and move, as storage-js calls them", async () => {
      const outputs = service.storage.from("outputs");
      const path = `${folder}/meta.png`;
      const first = png();
      assert.equal(
        (await outputs.upload(path, first, { contentType: "image/png", metadata: { seed: 42, by: "kiln" } })).error,
        null,
      );
      const info = await outputs.info(path);
      assert.equal(info.error, null);
      assert.deepEqual(
        [info.data?.size, info.data?.contentType, info.data?.metadata],
        [first.byteLength, "image/png", { seed: 42, by: "kiln" }],
      );

      const second = randomBytes(1024);
      assert.equal((await outputs.update(path, second, { contentType: "image/png" })).error, null);
      const updated = await outputs.download(path);
      assert.equal(Buffer.from(await (updated.data as Blob).arrayBuffer()).equals(second), true);

      const copy = await outputs.copy(path, `${folder}/copy.png`);
      assert.deepEqual(copy, { data: { path: `outputs/${folder}/copy.png` }, error: null });
      refused((await outputs.copy(path, `${folder}/copy.png`)).error, "409");

      assert.equal((await outputs.move(`${folder}/copy.png`, `${folder}/moved/copy.png`)).error, null);
      refused((await outputs.download(`${folder}/copy.png`)).error, "404");
      const moved = await outputs.download(`${folder}/moved/copy.png`);
      assert.equal(Buffer.from(await (moved.data as Blob).arrayBuffer()).equals(second), true);
      refused((await outputs.move(`${folder}/nope.png`, `${folder}/nowhere.png`)).error, "404");
      refused((await outputs.move(path, `${folder}/moved/copy.png`)).error, "409");
      refused((await anon.storage.from("outputs").info(path)).error, "404");
    });

    it("objects: list v2 pages through files and folders with a cursor", async () => {
      const outputs = service.storage.from("outputs");
      const base = `${folder}/v2`;
      for (const name of ["a.png", "b.png", "c.png", "sub/x.png", "sub/y.png"]) {
        assert.equal((await outputs.upload(`${base}/${name}`, png(), { contentType: "image/png" })).error, null);
      }
      const first = await outputs.listV2({ prefix: `${base}/`, limit: 2, with_delimiter: true });
      assert.equal(first.error, null);
      assert.deepEqual(
        first.data?.objects.map((o) => o.name),
        [`${base}/a.png`, `${base}/b.png`],
      );
      assert.equal(first.data?.hasNext, true);
      const rest = await outputs.listV2({
        prefix: `${base}/`,
        limit: 2,
        with_delimiter: true,
        cursor: first.data?.nextCursor,
      });
      assert.deepEqual(
        [rest.data?.objects.map((o) => o.name), rest.data?.folders.map((f) => f.name), rest.data?.hasNext],
        [[`${base}/c.png`], [`${base}/sub/`], false],
      );
      const flat = await outputs.listV2({ prefix: `${base}/sub/` });
      assert.deepEqual(
        flat.data?.objects.map((o) => o.name),
        [`${base}/sub/x.png`, `${base}/sub/y.png`],
      );
    });

    it("words a missing JWT as Storage does", async () => {
      const res = await fetch(`${stack.url}/storage/v1/object/list/outputs`, {
        method: "POST",
        headers: { apikey: stack.anonKey, "content-type": "application/json" },
        body: JSON.stringify({ prefix: "" }),
      });
      assert.equal(res.status, 400);
      const body = (await res.json()) as { statusCode: string; error: string; message: string };
      assert.deepEqual([body.statusCode, body.message], ["403", "jwt must be provided"]);
    });
  });
}
