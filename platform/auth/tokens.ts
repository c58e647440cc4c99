/**
 * The access-token contract between the auth service (which signs) and every other service (which
 * verifies). Both sides import these names so the two halves cannot drift apart.
 *
 * A token is a compact JWS, `alg` {@link TOKEN_ALG} (Ed25519), whose protected header carries the
 * `kid` of the signing key as published in the auth service's JWKS. Its claims are either
 * {@link AccessTokenClaims} (an end user) or {@link ServiceTokenClaims} (another Boxoffice service),
 * told apart by `token_use`. Refresh tokens are opaque strings, never JWTs, so a JWT with any other
 * `token_use` is invalid.
 *
 * Key rotation: the auth service publishes a new public key in its JWKS at least
 * {@link JWKS_COOLDOWN_MS} (better: {@link JWKS_CACHE_MAX_AGE_MS}) before it signs with it, and keeps
 * a retired key published until the last token signed with it has expired. Verifiers refetch the
 * JWKS when they meet an unknown `kid`, but at most once per cooldown, so a token signed with a key
 * published a moment ago can be refused with {@link AUTH_REASONS.TOKEN_UNKNOWN_KEY}.
 */

/** The JWS algorithm of every token: EdDSA over Ed25519. */
export const TOKEN_ALG = "EdDSA";
/** The curve of the signing keys. */
export const TOKEN_CURVE = "Ed25519";
/** The `aud` claim unless configured otherwise. */
export const DEFAULT_AUDIENCE = "boxoffice";

/** Values of the `token_use` claim. */
export const TOKEN_USE = {
  /** An end user's access token. */
  access: "access",
  /** A service's token, from IssueServiceToken. */
  service: "service",
} as const;
export type TokenUse = (typeof TOKEN_USE)[keyof typeof TOKEN_USE];

/** The roles an end user can hold; the `roles` claim lists some of them. */
export const ROLES = ["CUSTOMER", "ORGANIZER", "ADMIN"] as const;
export type Role = (typeof ROLES)[number];

/** A service token's `sub` is this prefix followed by the service name: `service:ticket`. */
export const SERVICE_SUBJECT_PREFIX = "service:";
/** What a service name in `svc` may look like (lower-case, like the module names). */
export const SERVICE_NAME_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;

/**
 * Seconds of clock skew tolerated on `exp` (and `nbf`) between the signer and a verifier. Small on
 * purpose: the hosts run NTP, and each second extends the life of a stolen token.
 */
export const CLOCK_TOLERANCE_SECONDS = 5;

/**
 * A verifier refetches the JWKS for an unknown `kid` at most once per this many milliseconds, so a
 * flood of tokens with made-up `kid`s cannot turn every service into a load generator against auth.
 */
export const JWKS_COOLDOWN_MS = 30_000;
/** A verifier refetches the JWKS at least this often even when every `kid` is known. */
export const JWKS_CACHE_MAX_AGE_MS = 10 * 60_000;

/** Claims every token carries. Times are NumericDate (seconds since the epoch). */
export interface BaseTokenClaims {
  iss: string;
  aud: string;
  sub: string;
  iat: number;
  exp: number;
  /** A unique id per token (a UUID), for audit and revocation lists. */
  jti: string;
  token_use: TokenUse;
}

/** An end user's access token. Becomes `{ kind: "user", subject: sub, roles }`. */
export interface AccessTokenClaims extends BaseTokenClaims {
  token_use: "access";
  /** The user id. */
  sub: string;
  roles: Role[];
}

/** A service token. Becomes `{ kind: "service", service: svc }`. */
export interface ServiceTokenClaims extends BaseTokenClaims {
  token_use: "service";
  /** Always `service:<svc>`. */
  sub: `service:${string}`;
  /** The calling service's name, e.g. `ticket`. */
  svc: string;
}

export type TokenClaims = AccessTokenClaims | ServiceTokenClaims;

/**
 * The stable `ErrorInfo.reason`s of an answer caused by a token: UNAUTHENTICATED for the token's own
 * faults (TOKEN_EXPIRED means "refresh and retry", the rest "sign in"), UNAVAILABLE for
 * JWKS_UNAVAILABLE ("retry later": the keys are out of reach, the token may be fine).
 */
export const AUTH_REASONS = {
  /** `exp` has passed (beyond the clock tolerance). */
  TOKEN_EXPIRED: "TOKEN_EXPIRED",
  /** Malformed, bad signature, tampered, wrong `token_use`, wrong scheme, or claims off-contract. */
  TOKEN_INVALID: "TOKEN_INVALID",
  /** `aud` is not this deployment's audience. */
  TOKEN_WRONG_AUDIENCE: "TOKEN_WRONG_AUDIENCE",
  /** `iss` is not the configured issuer. */
  TOKEN_WRONG_ISSUER: "TOKEN_WRONG_ISSUER",
  /** No published key has the token's `kid`, even after refetching the JWKS. */
  TOKEN_UNKNOWN_KEY: "TOKEN_UNKNOWN_KEY",
  /** The JWKS could not be fetched; the token may be fine, retry later. */
  JWKS_UNAVAILABLE: "JWKS_UNAVAILABLE",
} as const;
export type AuthReason = (typeof AUTH_REASONS)[keyof typeof AUTH_REASONS];
