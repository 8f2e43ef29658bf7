/**
 * Signed-URL tokens as Storage issues them: HS256 JWTs with the project secret whose `url` claim is
 * `<bucket>/<name>` and whose `scope` says what they allow, so a download token cannot upload and the reverse.
 * Upload tokens also carry `upsert` and the signer's `owner`, and live 2 hours (Storage's default).
 */
import type { JwtKeys } from "../jwt_keys.ts";
import { verifyToken } from "./caller.ts";
import { invalidSignature } from "./errors.ts";
import type { ObjectRef } from "./object_keys.ts";

export const UPLOAD_URL_LIFETIME_SECONDS = 2 * 60 * 60;

type Scope = "upload" | "download";

export interface UploadGrant {
  upsert: boolean;
  owner?: string;
}

const urlClaim = (ref: ObjectRef) => `${ref.bucket}/${ref.name}`;

/** The path storage-js appends to `<url>/storage/v1`, with the token; names stay unencoded, as Storage sends them. */
export function signedPath(kind: "upload/sign" | "sign", ref: ObjectRef, token: string): string {
  return `/object/${kind}/${urlClaim(ref)}?token=${token}`;
}

/** A token that lets its holder upload `ref` once within 2 hours. */
export function signUploadToken(keys: JwtKeys, ref: ObjectRef, grant: UploadGrant): Promise<string> {
  const claims = { url: urlClaim(ref), scope: "upload", upsert: grant.upsert, owner: grant.owner };
  return keys.sign(claims, UPLOAD_URL_LIFETIME_SECONDS);
}

/** A token that lets its holder read `ref` for `expiresIn` seconds. */
export function signDownloadToken(keys: JwtKeys, ref: ObjectRef, expiresIn: number): Promise<string> {
  return keys.sign({ url: urlClaim(ref), scope: "download" }, expiresIn);
}

/** Verifies `token` for `scope` on `ref`: InvalidJWT (bad, expired) or InvalidSignature (another object or action). */
export async function verifySigned(keys: JwtKeys, token: string, ref: ObjectRef, scope: Scope): Promise<UploadGrant> {
  const claims = await verifyToken(keys, token);
  if (claims.scope !== scope) throw invalidSignature(`Token is not scoped for ${scope}`);
  if (claims.url !== urlClaim(ref)) throw invalidSignature();
  return { upsert: claims.upsert === true, owner: typeof claims.owner === "string" ? claims.owner : undefined };
}
