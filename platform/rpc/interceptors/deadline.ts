import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

/**
 * Gives unary calls that arrive without a deadline (`grpc-timeout` / `connect-timeout-ms`) a default
 * one, so no call can hold a connection, a database slot or an in-flight permit forever. The
 * handler sees the shortened signal; when it fires the caller gets DEADLINE_EXCEEDED even if the
 * handler ignores the signal. Calls with their own deadline are bounded by Connect itself
 * (`maxTimeoutMs`); streams are long-lived by design and end on drain instead.
 */
export function deadlineInterceptor(defaultDeadlineMs: number): Interceptor {
  return (next) => async (req) => {
    if (req.stream || req.header.has("grpc-timeout") || req.header.has("connect-timeout-ms")) {
      return next(req);
    }
    const timer = new AbortController();
    const handle = setTimeout(
      () =>
        timer.abort(
          new ConnectError(`no answer within the default deadline of ${defaultDeadlineMs} ms`, Code.DeadlineExceeded),
        ),
      defaultDeadlineMs,
    );
    handle.unref();
    const signal = AbortSignal.any([req.signal, timer.signal]);
    const expired = new Promise<never>((_, reject) => {
      timer.signal.addEventListener("abort", () => reject(timer.signal.reason as Error), { once: true });
    });
    try {
      return await Promise.race([next({ ...req, signal }), expired]);
    } finally {
      clearTimeout(handle);
    }
  };
}
