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
