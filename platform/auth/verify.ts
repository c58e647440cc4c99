import { errors, jwtVerify } from "jose";
import { type Clock, systemClock } from "../clock/index.js";
import type { Principal } from "../rpc/access.js";
import { UnauthenticatedError, UnavailableError } from "../rpc/errors.js";
import type { Authenticator } from "../rpc/interceptors/auth.js";
import { TokenCache } from "./cache.js";
import { principalFromClaims, TokenContractError } from "./claims.js";
import { createKeyResolver, type JwksSource, JwksUnavailableError, type RemoteJwksOptions } from "./jwks.js";
import { AUTH_REASONS, CLOCK_TOLERANCE_SECONDS, TOKEN_ALG } from "./tokens.js";

export interface TokenVerifierOptions {
  /** The auth service's JWKS URL, or a key set in memory (all-in-one process, tests). */
  jwks: JwksSource;
  /** The only accepted `iss`. */
  issuer: string;
  /** The only accepted `aud` (normally `DEFAULT_AUDIENCE`, "boxoffice"). */
  audience: string;
  /** Decides expiry, both in jose and in the cache. Defaults to the wall clock. */
  clock?: Clock;
  /** Most verified tokens remembered; default 10,000 (a few MB). 0 disables the cache. */
  cacheSize?: number;
  /** Tuning of a remote JWKS; ignored for an in-memory key set. */
  remote?: RemoteJwksOptions;
}

export interface TokenVerifierStats {
  /** Full verifications run (signature check, or an attempt that failed before it). */
  verified: number;
  /** Answers given without a verification of their own: from the cache, or by sharing one in flight. */
  cacheHits: number;
  /** Tokens in the cache now. */
  cached: number;
}

/** An {@link Authenticator} for Boxoffice access and service tokens, with counters. */
export type TokenVerifier = Authenticator & { stats(): TokenVerifierStats };

/** The cache key is the whole token, so a token this long is refused before anything else. */
const MAX_TOKEN_LENGTH = 8192;
// RFC 6750 `b64token` after a case-insensitive "Bearer" and a space; jose checks the JWS itself.
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

interface Verified {
  readonly principal: Principal;
  readonly expMs: number;
}

/**
 * Verifies `authorization: Bearer <jwt>` against the auth service's keys (see tokens.ts):
 * no header → undefined (anonymous); anything else that does not verify → UnauthenticatedError
 * with a reason from {@link AUTH_REASONS}, never the token in the message.
 *
 * A full verification costs about as much as an empty RPC (`make bench` shows both), so verified tokens are
 * cached by token string until their `exp`, and concurrent requests with the same new token share
 * one verification. Failures are not cached: they are cheap (no key, bad shape) or rare.
 */
export function createTokenVerifier(opts: TokenVerifierOptions): TokenVerifier {
  const clock = opts.clock ?? systemClock;
  const getKey = createKeyResolver(opts.jwks, opts.remote);
  const cache = new TokenCache(opts.cacheSize ?? 10_000);
  const inflight = new Map<string, Promise<Verified>>();
  let verified = 0;
  let cacheHits = 0;

  const verify = async (token: string): Promise<Verified> => {
    verified++;
    try {
      const { payload } = await jwtVerify(token, getKey, {
        algorithms: [TOKEN_ALG],
        issuer: opts.issuer,
        audience: opts.audience,
        // jose rejects once now - tolerance >= exp (and now + tolerance < nbf); see tokens.ts.
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: clock.date(),
        requiredClaims: ["sub", "iat", "exp", "jti", "token_use"],
      });
      const result = { principal: principalFromClaims(payload), expMs: (payload.exp as number) * 1000 };
      // Within the tolerance window the token is accepted but not cached: "never past exp".
      if (clock.now() < result.expMs) cache.set(token, result.principal, result.expMs);
      return result;
    } catch (err) {
      throw toUnauthenticated(err);
    }
  };

  const authenticate = async (header: Headers): Promise<Principal | undefined> => {
    const value = header.get("authorization");
    if (value === null) return undefined;
    const token = bearerToken(value);
    const hit = cache.get(token, clock.now());
    if (hit !== undefined) {
      cacheHits++;
      return hit;
    }
    let pending = inflight.get(token);
    if (pending === undefined) {
      pending = verify(token).finally(() => inflight.delete(token));
      inflight.set(token, pending);
    } else {
      cacheHits++;
    }
    return (await pending).principal;
  };

  return Object.assign(authenticate, {
    stats: (): TokenVerifierStats => ({ verified, cacheHits, cached: cache.size }),
  });
}

function bearerToken(value: string): string {
  const token = value.length <= MAX_TOKEN_LENGTH + 16 ? BEARER.exec(value)?.[1] : undefined;
  if (token === undefined || token.length > MAX_TOKEN_LENGTH) {
    throw new UnauthenticatedError(
      'the authorization header must be "Bearer <access token>"',
      AUTH_REASONS.TOKEN_INVALID,
    );
  }
  return token;
}

/**
 * jose's verdicts as stable reasons. Messages are fixed strings: nothing of the token leaks. Keys out
 * of reach say nothing about the token: UNAVAILABLE (retry, the mesh does too), not UNAUTHENTICATED,
 * which a storefront answers by refreshing or signing the buyer out.
 */
function toUnauthenticated(err: unknown): UnauthenticatedError | UnavailableError {
  const R = AUTH_REASONS;
  if (err instanceof JwksUnavailableError) {
    return new UnavailableError(R.JWKS_UNAVAILABLE, "the token signing keys are unavailable; retry later", 1000);
  }
  if (err instanceof errors.JWKSNoMatchingKey) {
    return new UnauthenticatedError("the access token was signed with an unknown key", R.TOKEN_UNKNOWN_KEY);
  }
  if (err instanceof errors.JWTExpired) {
    return new UnauthenticatedError("the access token has expired", R.TOKEN_EXPIRED);
  }
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === "aud")
      return new UnauthenticatedError("the access token is for another audience", R.TOKEN_WRONG_AUDIENCE);
    if (err.claim === "iss")
      return new UnauthenticatedError("the access token is from an unknown issuer", R.TOKEN_WRONG_ISSUER);
    return new UnauthenticatedError(`the access token's "${err.claim}" claim is invalid`, R.TOKEN_INVALID);
  }
  if (err instanceof TokenContractError) {
    return new UnauthenticatedError(`the access token's "${err.claim}" claim is invalid`, R.TOKEN_INVALID);
  }
  // Bad signature, malformed JWS, disallowed alg, duplicate kids in the JWKS, and anything else:
  // a credential we cannot accept is UNAUTHENTICATED, never INTERNAL.
  return new UnauthenticatedError("the access token is invalid", R.TOKEN_INVALID);
}
