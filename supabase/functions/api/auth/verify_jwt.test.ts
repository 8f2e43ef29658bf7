/**
 * The JWT verifier against a real JWKS endpoint on loopback: ES256 tokens verify, a rotated-in key is fetched
 * when its `kid` first appears, and every kind of bad token is refused with the code clients see.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from "jose";
import { type ErrorCode, KilnError } from "../../../../shared/errors.ts";
import { jwtVerifier } from "./verify_jwt.ts";

type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];

const HS256_SECRET = "a-legacy-hs256-secret-of-at-least-32-characters";

let server: Server;
let issuer: string;
let published: JWK[] = [];
let fetches = 0;

async function newKey(kid: string): Promise<{ kid: string; privateKey: SigningKey; jwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" } };
}

function sign(
  key: { kid: string; privateKey: SigningKey },
  claims: JWTPayload = {},
  expiresInSeconds = 3600,
): Promise<string> {
  return new SignJWT({ sub: "5f0c2a1e-0000-4000-8000-000000000001", aud: "authenticated", iss: issuer, ...claims })
    .setProtectedHeader({ alg: "ES256", kid: key.kid, typ: "JWT" })
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + expiresInSeconds)
    .sign(key.privateKey);
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

async function refused(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof KilnError, `expected a KilnError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return true;
  });
}

before(async () => {
  server = createServer((request, response) => {
    if (request.url !== "/auth/v1/.well-known/jwks.json") {
      response.writeHead(404).end();
      return;
    }
    fetches++;
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: published }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/auth/v1`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe("JWKS (asymmetric signing keys)", () => {
  let first: Awaited<ReturnType<typeof newKey>>;
  let verify: ReturnType<typeof jwtVerifier>;

  before(async () => {
    first = await newKey("key-1");
    published = [first.jwk];
    verify = jwtVerifier({ issuer, jwksCooldownMs: 0 });
  });

  it("verifies an ES256 token signed with a published key, fetching the set once", async () => {
    fetches = 0;
    const claims = await verify(await sign(first));
    assert.equal(claims.sub, "5f0c2a1e-0000-4000-8000-000000000001");
    await verify(await sign(first));
    assert.equal(fetches, 1, "the key set is cached");
  });

  it("refetches the set when a token names a new kid (rotation)", async () => {
    const second = await newKey("key-2");
    published = [second.jwk];
    const before = fetches;
    const claims = await verify(await sign(second));
    assert.equal(claims.sub, "5f0c2a1e-0000-4000-8000-000000000001");
    assert.equal(fetches, before + 1);
    await refused(verify(await sign(first)), "invalid_token");
  });

  it("does not refetch for an unknown kid within the cooldown", async () => {
    const key = await newKey("key-3");
    published = [key.jwk];
    const cautious = jwtVerifier({ issuer });
    await cautious(await sign(key));
    const before = fetches;
    await refused(cautious(await sign(await newKey("made-up"))), "invalid_token");
    assert.equal(fetches, before);
  });

  it("refuses an expired token with token_expired", async () => {
    published = [first.jwk];
    await refused(verify(await sign(first, {}, -60)), "token_expired");
  });

  it("refuses another issuer, another audience, a missing sub or expiry", async () => {
    await refused(verify(await sign(first, { iss: "https://elsewhere.example/auth/v1" })), "invalid_token");
    await refused(verify(await sign(first, { aud: "anon" })), "invalid_token");
    await refused(verify(await sign(first, { sub: undefined })), "invalid_token");
    const noExpiry = await new SignJWT({ sub: "x", aud: "authenticated", iss: issuer })
      .setProtectedHeader({ alg: "ES256", kid: first.kid })
      .sign(first.privateKey);
    await refused(verify(noExpiry), "invalid_token");
  });

  it("refuses a token signed with another key under a published kid", async () => {
    const impostor = await newKey(first.kid);
    await refused(verify(await sign(impostor)), "invalid_token");
  });

  it("refuses alg none and garbage", async () => {
    const unsigned = `${base64url({ alg: "none", typ: "JWT" })}.${base64url({
      sub: "x",
      aud: "authenticated",
      iss: issuer,
      exp: Math.floor(Date.now() / 1000) + 3600,
    })}.`;
    await refused(verify(unsigned), "invalid_token");
    for (const garbage of ["garbage", "a.b.c", "", "eyJhbGciOiJFUzI1NiJ9.e30.c2ln", "...."]) {
      await refused(verify(garbage), "invalid_token");
    }
  });
});

describe("HS256 (legacy projects and the local stack)", () => {
  const hs256 = (secret: string, claims: JWTPayload = {}, expiresInSeconds = 3600) =>
    new SignJWT({ sub: "u1", aud: "authenticated", iss: issuer, ...claims })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setExpirationTime(Math.floor(Date.now() / 1000) + expiresInSeconds)
      .sign(new TextEncoder().encode(secret));

  it("verifies a token signed with the secret, and refuses others", async () => {
    const verify = jwtVerifier({ issuer, secret: HS256_SECRET });
    assert.equal((await verify(await hs256(HS256_SECRET))).sub, "u1");
    await refused(verify(await hs256("another-secret-of-at-least-32-characters-long")), "invalid_token");
    await refused(verify(await hs256(HS256_SECRET, {}, -60)), "token_expired");
    await refused(verify(await hs256(HS256_SECRET, { aud: "anon" })), "invalid_token");
  });

  it("refuses HS256 tokens when the project has no HS256 secret", async () => {
    const verify = jwtVerifier({ issuer });
    await refused(verify(await hs256(HS256_SECRET)), "invalid_token");
  });
});
