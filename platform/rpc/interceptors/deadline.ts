import type { Interceptor } from "@connectrpc/connect";

/**
 * Makes a unary call's deadline binding even when the handler ignores its signal: the caller gets
 * DEADLINE_EXCEEDED (or the cancellation's code) when the call's signal fires, whether or not the
 * handler has returned; the handler keeps running to its end, holding its admission permit.
 *
 * Every unary call has a deadline: its own (`grpc-timeout` / `connect-timeout-ms`, capped by
 * Connect's `maxTimeoutMs`), or the server's default, which the HTTP adapter writes into the
 * request before Connect reads it (platform/server/adapter.ts) — so Connect's own per-call timer
 * is the deadline and this interceptor allocates one promise and one listener, not a controller,
 * a composite signal and a timer of its own. Streams are long-lived by design and end on drain.
 */
export function deadlineInterceptor(): Interceptor {
  return (next) => (req) => {
    if (req.stream) return next(req);
    const signal = req.signal;
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      next(req).then(
        (res) => {
          signal.removeEventListener("abort", onAbort);
          resolve(res);
        },
        (err: unknown) => {
          signal.removeEventListener("abort", onAbort);
          reject(err);
        },
      );
    });
  };
}
