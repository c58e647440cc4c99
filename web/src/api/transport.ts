/**
 * The one Connect transport of the storefront: Connect/JSON over fetch to the same origin (the
 * platform's edge in development, the ingress in the cluster; VITE_BOXOFFICE_API overrides it),
 * GET for side-effect-free calls (cacheable, ETag), and two interceptors:
 *
 * - retry: a retry-safe unary call (declared NO_SIDE_EFFECTS or IDEMPOTENT in the proto; every
 *   mutating RPC with a request_id is IDEMPOTENT) that fails because the connection dropped or the
 *   server is unavailable or shedding load is repeated with exponential backoff and jitter, waiting
 *   at least what RetryInfo asks; `connectionTrouble` tells the page meanwhile.
 * - auth: the bearer token of the session, refreshed before it expires, and once more when the
 *   server still says UNAUTHENTICATED.
 */
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { signal } from "@preact/signals";
import { problemOf } from "./errors.js";

const baseUrl: string = (import.meta.env.VITE_BOXOFFICE_API as string | undefined) ?? window.location.origin;

/** Set while a call is waiting to be retried: when the next attempt starts (epoch ms). */
export const connectionTrouble = signal<{ retryAtMs: number } | undefined>(undefined);

const RETRIES = 4;
const BASE_DELAY_MS = 400;
const MAX_DELAY_MS = 8_000;

/** True when the fetch itself failed (offline, connection reset), not the server's answer. */
export function isNetworkFailure(err: unknown): boolean {
  const ce = ConnectError.from(err);
  return ce.code === Code.Unknown && (ce.cause instanceof TypeError || /fetch|network/i.test(ce.rawMessage));
}

/** The delay before retry `attempt` (0-based): full jitter over an exponential bound, at least `floorMs`. */
export function backoffMs(attempt: number, floorMs = 0): number {
  const bound = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt);
  return Math.max(floorMs, Math.round(bound / 2 + (Math.random() * bound) / 2));
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(t);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

const retrySafe = (level: MethodOptions_IdempotencyLevel) =>
  level === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS || level === MethodOptions_IdempotencyLevel.IDEMPOTENT;

const retryInterceptor: Interceptor = (next) => async (req) => {
  if (req.stream || !retrySafe(req.method.idempotency)) return next(req);
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await next(req);
      if (attempt > 0) connectionTrouble.value = undefined;
      return res;
    } catch (e) {
      const p = problemOf(e);
      const shed = p.code === Code.ResourceExhausted && (p.retryAfterMs ?? 0) <= 5_000;
      const transient = p.code === Code.Unavailable || shed || isNetworkFailure(e);
      if (!transient || attempt >= RETRIES || req.signal.aborted) {
        connectionTrouble.value = undefined;
        throw e;
      }
      const wait = backoffMs(attempt, p.retryAfterMs);
      connectionTrouble.value = { retryAtMs: Date.now() + wait };
      await sleep(wait, req.signal);
    }
  }
};

/** Where the auth interceptor gets tokens: the session (session.ts installs itself at load). */
export interface TokenSource {
  /** A valid access token, or undefined when signed out. */
  current(): Promise<string | undefined>;
  /** A new token after the server refused `rejected`, or undefined. */
  renew(rejected: string): Promise<string | undefined>;
}

let tokens: TokenSource = { current: async () => undefined, renew: async () => undefined };

/** Installs the session as the token source of every call. */
export function setTokenSource(source: TokenSource): void {
  tokens = source;
}

const authInterceptor: Interceptor = (next) => async (req) => {
  const token = await tokens.current();
  if (token === undefined) return next(req);
  req.header.set("Authorization", `Bearer ${token}`);
  try {
    return await next(req);
  } catch (e) {
    // a stream's request body cannot be sent twice: the stream's own reconnect loop handles it
    if (req.stream || ConnectError.from(e).code !== Code.Unauthenticated) throw e;
    const fresh = await tokens.renew(token);
    // no session any more: public calls still work without a token, the others say "sign in"
    if (fresh === undefined) req.header.delete("Authorization");
    else req.header.set("Authorization", `Bearer ${fresh}`);
    return next(req);
  }
};

export const transport = createConnectTransport({
  baseUrl,
  useHttpGet: true,
  interceptors: [retryInterceptor, authInterceptor],
});

/** For the auth calls that must not carry (or refresh) a token: Login, Register, Refresh, Logout. */
export const anonymousTransport = createConnectTransport({ baseUrl, interceptors: [retryInterceptor] });
