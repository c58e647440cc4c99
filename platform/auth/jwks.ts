import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  errors,
  type FetchImplementation,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from "jose";
import { JWKS_CACHE_MAX_AGE_MS, JWKS_COOLDOWN_MS } from "./tokens.js";

/**
 * Where the verification keys come from: the auth service's JWKS URL (every normal process), or a
 * key set in memory (the all-in-one process and tests; it never changes, so rotate by restarting).
 */
export type JwksSource = URL | string | JSONWebKeySet;

/** Tuning of a remote JWKS; the defaults suit production. Times are wall-clock milliseconds. */
export interface RemoteJwksOptions {
  /** Minimum time between refetches caused by an unknown `kid`. */
  cooldownMs?: number;
  /** Refetch at least this often. */
  cacheMaxAgeMs?: number;
  /** Per fetch. Short: a request may wait for the fetch. */
  timeoutMs?: number;
  /** After a failed fetch, retry in the background no sooner than this. */
  retryMs?: number;
  /** How long after its last successful fetch a key set may still be used while fetches fail. */
  staleMaxAgeMs?: number;
  /** Told about every failed fetch (for a log line; the verifier itself has no logger). */
  onError?: (err: unknown) => void;
}

export const JWKS_TIMEOUT_MS = 2_000;
export const JWKS_RETRY_MS = 2_000;
/**
 * Bounded so that a key auth has withdrawn (say, after a leak) cannot stay trusted indefinitely by
 * a process that lost sight of the JWKS; long enough to ride out an auth outage.
 */
export const JWKS_STALE_MAX_AGE_MS = 60 * 60_000;

/** The JWKS could not be fetched and no usable key set is at hand. */
export class JwksUnavailableError extends Error {
  constructor(cause?: unknown) {
    super("the token signing keys are unavailable", { cause });
    this.name = "JwksUnavailableError";
  }
}

/** The key lookup for `jwtVerify`. Remote lookups throw {@link JwksUnavailableError} when fetching fails. */
export function createKeyResolver(source: JwksSource, opts: RemoteJwksOptions = {}): JWTVerifyGetKey {
  if (typeof source === "string" || source instanceof URL) return remoteResolver(new URL(source), opts);
  return createLocalJWKSet(source);
}

/**
 * jose's remote set already caches, refetches for an unknown `kid` after a cooldown and deduplicates
 * concurrent fetches. What it lacks is graceful degradation: once `cacheMaxAge` has passed it
 * refetches on every call and, if the JWKS is down, fails every call (each waiting for the fetch,
 * up to its timeout) although the keys it had are almost certainly still right. So this wrapper
 * keeps the last good key set, answers from it while fetches fail, and retries in the background
 * at most every `retryMs`.
 */
function remoteResolver(url: URL, opts: RemoteJwksOptions): JWTVerifyGetKey {
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new TypeError("the JWKS URL must be http(s)");
  const retryMs = opts.retryMs ?? JWKS_RETRY_MS;
  const staleMaxAgeMs = opts.staleMaxAgeMs ?? JWKS_STALE_MAX_AGE_MS;

  // Counting successful responses tells us when jose holds a new key set worth copying.
  let okResponses = 0;
  let okAt = -Infinity;
  const fetchImpl: FetchImplementation = async (href, init) => {
    const res = await fetch(href, init);
    if (res.status === 200) {
      okResponses++;
      okAt = Date.now();
    }
    return res;
  };
  const remote = createRemoteJWKSet(url, {
    cooldownDuration: opts.cooldownMs ?? JWKS_COOLDOWN_MS,
    cacheMaxAge: opts.cacheMaxAgeMs ?? JWKS_CACHE_MAX_AGE_MS,
    timeoutDuration: opts.timeoutMs ?? JWKS_TIMEOUT_MS,
    [customFetch]: fetchImpl,
  });

  let lastGood: { getKey: JWTVerifyGetKey; at: number } | undefined;
  let copiedResponses = 0;
  const copy = () => {
    if (copiedResponses === okResponses) return;
    const jwks = remote.jwks();
    if (jwks === undefined) return;
    copiedResponses = okResponses;
    lastGood = { getKey: createLocalJWKSet(jwks), at: okAt };
  };

  let failedAt: number | undefined;
  let probing: Promise<void> | undefined;
  const failed = (err: unknown) => {
    failedAt = Date.now();
    opts.onError?.(err);
  };
  /** Starts a retry when one is due; returns it so a caller with nothing better may wait for it. */
  const probe = (): Promise<void> | undefined => {
    if (probing !== undefined || failedAt === undefined || Date.now() - failedAt < retryMs) return undefined;
    probing = remote
      .reload()
      .then(() => {
        failedAt = undefined;
        copy();
      }, failed)
      .finally(() => (probing = undefined));
    return probing;
  };
  const fromLastGood: JWTVerifyGetKey = async (header, token) => {
    if (lastGood === undefined || Date.now() - lastGood.at > staleMaxAgeMs) throw new JwksUnavailableError();
    try {
      return await lastGood.getKey(header, token);
    } catch (err) {
      // The kid may well be in the JWKS we cannot read: that is "try later", not "bad token".
      if (err instanceof errors.JWKSNoMatchingKey) throw new JwksUnavailableError(err);
      throw err;
    }
  };

  return async (header, token) => {
    if (failedAt !== undefined) {
      const retry = probe();
      // With no keys to answer from, this request may as well wait for the retry; the others
      // (until the next retry is due) fail fast instead of each waiting on a dead JWKS.
      if (retry !== undefined && lastGood === undefined) await retry;
      if (failedAt !== undefined) return fromLastGood(header, token);
    }
    try {
      const key = await remote(header, token);
      copy();
      return key;
    } catch (err) {
      if (!isFetchFailure(err)) {
        copy();
        throw err;
      }
      failed(err);
      return fromLastGood(header, token);
    }
  };
}

/** Errors of fetching the set, as opposed to verdicts about the token. */
function isFetchFailure(err: unknown): boolean {
  if (!(err instanceof errors.JOSEError)) return true; // fetch's TypeError, connection refused, …
  // A bare JOSEError is jose's "not 200" / "not JSON"; JWKSInvalid is a malformed document.
  return err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid || err.code === errors.JOSEError.code;
}
