import { randomUUID } from "node:crypto";
import { type CryptoKey, exportJWK, generateKeyPair, importJWK, type JSONWebKeySet, type JWK, SignJWT } from "jose";
import { type Clock, systemClock } from "../clock/index.js";
import {
  DEFAULT_AUDIENCE,
  ROLES,
  type Role,
  SERVICE_NAME_PATTERN,
  SERVICE_SUBJECT_PREFIX,
  TOKEN_ALG,
  TOKEN_CURVE,
  TOKEN_USE,
} from "./tokens.js";

/** An Ed25519 signing key: the private JWK (kept by auth) and the public JWK (published). */
export interface SigningKey {
  readonly kid: string;
  /** Has `d`: a secret. Never log it. */
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}

/** Generates a fresh Ed25519 key pair labelled `kid`, both halves as JWKs. */
export async function generateSigningKey(kid: string): Promise<SigningKey> {
  if (kid === "") throw new TypeError("kid must not be empty");
  // extractable: the private half must survive as a JWK so auth can persist it and restart.
  const { privateKey, publicKey } = await generateKeyPair(TOKEN_ALG, { crv: TOKEN_CURVE, extractable: true });
  const meta = { kid, alg: TOKEN_ALG, use: "sig" };
  return {
    kid,
    privateJwk: { ...(await exportJWK(privateKey)), ...meta },
    publicJwk: { ...(await exportJWK(publicKey)), ...meta },
  };
}

/**
 * The JWKS document (`{ keys: [...] }`) auth serves, built from its signing keys. Takes private (or
 * public) JWKs and keeps only the public members, so `d` can never leak through this path.
 */
export function publicJwks(keys: readonly JWK[]): JSONWebKeySet {
  return {
    keys: keys.map((k) => {
      if (k.kty !== "OKP" || k.crv !== TOKEN_CURVE || typeof k.x !== "string") {
        throw new TypeError("signing keys must be Ed25519 (OKP) JWKs");
      }
      if (typeof k.kid !== "string" || k.kid === "") throw new TypeError("every signing key needs a kid");
      return { kty: k.kty, crv: k.crv, x: k.x, kid: k.kid, alg: TOKEN_ALG, use: "sig" };
    }),
  };
}

/** What every signed token needs. */
export interface SignOptions {
  /** A private Ed25519 JWK with a `kid` (see {@link generateSigningKey}). */
  key: JWK;
  issuer: string;
  /** Defaults to {@link DEFAULT_AUDIENCE}. */
  audience?: string;
  /** Lifetime in whole seconds. */
  ttlSeconds: number;
  /** Source of `iat`; defaults to the wall clock. */
  clock?: Clock;
  /** Defaults to a random UUID. */
  jti?: string;
}

/** Signs an end user's access token (`token_use: "access"`). */
export async function signAccessToken(
  opts: SignOptions & { subject: string; roles: readonly Role[] },
): Promise<string> {
  if (opts.subject === "" || opts.subject.startsWith(SERVICE_SUBJECT_PREFIX)) {
    throw new TypeError("an access token needs a user id as subject");
  }
  for (const role of opts.roles) {
    if (!(ROLES as readonly string[]).includes(role)) throw new TypeError(`unknown role ${role}`);
  }
  return sign(opts, opts.subject, { token_use: TOKEN_USE.access, roles: [...opts.roles] });
}

/** Signs a service token (`token_use: "service"`, `sub: "service:<name>"`, `svc: <name>`). */
export async function signServiceToken(opts: SignOptions & { service: string }): Promise<string> {
  if (!SERVICE_NAME_PATTERN.test(opts.service)) throw new TypeError(`invalid service name ${opts.service}`);
  return sign(opts, `${SERVICE_SUBJECT_PREFIX}${opts.service}`, { token_use: TOKEN_USE.service, svc: opts.service });
}

async function sign(opts: SignOptions, subject: string, claims: Record<string, unknown>): Promise<string> {
  const { key } = opts;
  if (typeof key.kid !== "string" || key.kid === "") throw new TypeError("the signing key needs a kid");
  if (typeof key.d !== "string") throw new TypeError("the signing key must be a private JWK");
  if (!Number.isInteger(opts.ttlSeconds) || opts.ttlSeconds <= 0)
    throw new TypeError("ttlSeconds must be a positive integer");
  const iat = Math.floor((opts.clock ?? systemClock).now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: TOKEN_ALG, kid: key.kid })
    .setIssuer(opts.issuer)
    .setAudience(opts.audience ?? DEFAULT_AUDIENCE)
    .setSubject(subject)
    .setIssuedAt(iat)
    .setExpirationTime(iat + opts.ttlSeconds)
    .setJti(opts.jti ?? randomUUID())
    .sign(await privateKey(key));
}

// Importing a JWK costs about as much as a signature; auth signs with the same few keys all day.
const imported = new WeakMap<JWK, Promise<CryptoKey>>();

function privateKey(jwk: JWK): Promise<CryptoKey> {
  let key = imported.get(jwk);
  if (key === undefined) {
    key = importJWK(jwk, TOKEN_ALG).then((k) => {
      if (k instanceof Uint8Array) throw new TypeError("the signing key must be an Ed25519 JWK");
      return k;
    });
    imported.set(jwk, key);
    key.catch(() => imported.delete(jwk));
  }
  return key;
}
