/**
 * A local stack set up to be fuzzed: rate limits out of the way (a 429 is a right answer, but one that would hide
 * every route behind it), a user with credits and resources of its own (a job, a key, a webhook, an upload) whose
 * ids the fuzzer mixes into paths, an administrator, and every kind of credential, good and bad.
 */
import { SignJWT, UnsecuredJWT } from "jose";
import { SCOPES } from "../../../supabase/functions/api/auth/principal.ts";
import { type ApiHarness, startApiHarness } from "../../../supabase/functions/api/testing/api_harness.ts";
import type { FuzzTarget } from "./api_fuzz.ts";

export interface FuzzStack {
  target: FuzzTarget;
  harness: ApiHarness;
  close(): Promise<void>;
}

const UNLIMITED = "100000000";

export async function startFuzzStack(): Promise<FuzzStack> {
  const harness = await startApiHarness({
    functionEnv: {
      KILN_RATE_LIMIT_READ_PER_MINUTE: UNLIMITED,
      KILN_RATE_LIMIT_CREATE_PER_MINUTE: UNLIMITED,
      KILN_RATE_LIMIT_IP_PER_MINUTE: UNLIMITED,
    },
  });
  const user = await harness.user({ credits: 1_000_000_000 });
  const admin = await harness.user({ admin: true, credits: 1_000_000_000 });
  const apiKey = await harness.apiKey(user, [...SCOPES]);
  const revokedKey = await harness.apiKey(user, [...SCOPES], { revoked: true });
  const json = async (path: string, body: unknown) =>
    (await (await harness.call("POST", path, { auth: user.token, body })).json()) as Record<
      string,
      Record<string, string>
    >;
  const job = await json("/v1/jobs", {
    type: "txt2img",
    params: { prompt: "fuzz", width: 512, height: 512, steps: 4 },
  });
  const key = await json("/v1/keys", { name: "fuzzed", scopes: ["jobs:read"] });
  const webhook = await json("/v1/webhooks", { url: "https://example.com/kiln" });
  const upload = await json("/v1/uploads", { content_type: "image/png" });
  const knownIds = [job.id, key.api_key?.id, webhook.webhook?.id, upload.upload_id, user.id, admin.id].filter(
    (id): id is string => typeof id === "string",
  );
  const claims = { sub: user.id, role: "authenticated", aud: "authenticated", iss: `${harness.target.url}/auth/v1` };
  const credentials = {
    user: user.token,
    admin: admin.token,
    apiKey,
    revokedKey,
    expired: await harness.token(user.id, {}, -60),
    forged: await new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256" })
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode("not the project's secret, but just as long as one")),
    algNone: new UnsecuredJWT(claims).setExpirationTime("1h").encode(),
  };
  const document = await (await harness.call("GET", "/openapi.json")).json();
  return {
    harness,
    target: { apiUrl: `${harness.target.url}/functions/v1/api`, document, credentials, knownIds },
    close: () => harness.close(),
  };
}
