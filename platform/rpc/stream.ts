/**
 * Calls `done` once when a response stream ends, with the error that ended it (undefined when it
 * completed, or when the consumer stopped early).
 */
export async function* observeStream<T>(it: AsyncIterable<T>, done: (err: unknown) => void): AsyncIterable<T> {
  let err: unknown;
  try {
    yield* it;
  } catch (e) {
    err = e;
    throw e;
  } finally {
    done(err);
  }
}

/** Re-throws any error of the stream through `map`. */
export async function* mapStreamError<T>(it: AsyncIterable<T>, map: (e: unknown) => unknown): AsyncIterable<T> {
  try {
    yield* it;
  } catch (e) {
    throw map(e);
  }
}

type AnyNext = Parameters<import("@connectrpc/connect").Interceptor>[0];
type AnyReq = Parameters<AnyNext>[0];
type AnyRes = Awaited<ReturnType<AnyNext>>;

/**
 * Runs `next(req)` and calls `finish` exactly once when the call is over: at once for a unary
 * response or an error, at the end of the response stream otherwise. Interceptors that measure or
 * account for a whole call (logging, metrics, admission) share this.
 */
export async function observeCall(next: AnyNext, req: AnyReq, finish: (err: unknown) => void): Promise<AnyRes> {
  let res: AnyRes;
  try {
    res = await next(req);
  } catch (e) {
    finish(e);
    throw e;
  }
  if (!res.stream) {
    finish(undefined);
    return res;
  }
  return { ...res, message: observeStream(res.message, finish) };
}
