/**
 * Keeps a server stream (WatchAvailability, WatchOrder) open: reconnects with exponential backoff
 * and jitter when the connection drops or nothing arrives for longer than the heartbeat allows,
 * and quietly when the server drains (the stream ends OK without a final message); stops for good
 * on errors that a retry cannot fix (not found, invalid, not allowed, not implemented).
 */
import { Code } from "@connectrpc/connect";
import { type Problem, problemOf } from "./errors.js";
import { backoffMs, sleep } from "./transport.js";

export type StreamState =
  | { readonly kind: "connecting" }
  | { readonly kind: "live" }
  | { readonly kind: "retrying"; readonly retryAtMs: number; readonly problem: Problem | undefined }
  | { readonly kind: "ended" }
  | { readonly kind: "failed"; readonly problem: Problem };

export interface WatchOptions<T> {
  /** Opens the stream; `signal` aborts it. */
  open(signal: AbortSignal): AsyncIterable<T>;
  onMessage(message: T): void;
  onState(state: StreamState): void;
  /** True for the message after which the stream ends for good (WatchOrder's terminal order). */
  isFinal?(message: T): boolean;
  /** Problems to retry although they look permanent (an event's inventory that is still being made: NOT_FOUND). */
  alsoRetry?(problem: Problem): boolean;
  /** The server sends a heartbeat after 15 s of silence; a stream quiet for this long is dead. */
  silenceMs?: number;
}

/** A stream that ends OK sooner than this after opening is treated like a failure (backoff). */
const QUICK_END_MS = 2_000;

const permanent = new Set([
  Code.NotFound,
  Code.InvalidArgument,
  Code.PermissionDenied,
  Code.Unimplemented,
  Code.Unauthenticated,
  Code.FailedPrecondition,
]);

/** Starts watching; the returned function stops it. */
export function watch<T>(opts: WatchOptions<T>): () => void {
  const stopper = new AbortController();
  const silenceMs = opts.silenceMs ?? 45_000;
  void (async () => {
    let attempt = 0;
    opts.onState({ kind: "connecting" });
    while (!stopper.signal.aborted) {
      const call = new AbortController();
      const stop = () => call.abort();
      stopper.signal.addEventListener("abort", stop, { once: true });
      let timer: ReturnType<typeof setTimeout> | undefined;
      let silent = false;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          silent = true;
          call.abort();
        }, silenceMs);
      };
      let problem: Problem | undefined;
      let live = false;
      const openedAt = Date.now();
      try {
        arm();
        for await (const m of opts.open(call.signal)) {
          arm();
          if (!live) opts.onState({ kind: "live" });
          live = true;
          opts.onMessage(m);
          if (opts.isFinal?.(m)) {
            opts.onState({ kind: "ended" });
            return;
          }
        }
      } catch (e) {
        if (stopper.signal.aborted) return;
        if (!silent) {
          problem = problemOf(e);
          if (permanent.has(problem.code) && !opts.alsoRetry?.(problem)) {
            opts.onState({ kind: "failed", problem });
            return;
          }
        }
      } finally {
        clearTimeout(timer);
        stopper.signal.removeEventListener("abort", stop);
      }
      if (stopper.signal.aborted) return;
      // a stream that served for a while starts its backoff afresh
      if (live && Date.now() - openedAt > QUICK_END_MS) attempt = 0;
      if (problem === undefined && live && Date.now() - openedAt > QUICK_END_MS) {
        // ended OK after a while (the server drains): the data shown is current; reconnect quietly
        try {
          await sleep(backoffMs(0), stopper.signal);
        } catch {
          return;
        }
        continue;
      }
      // failed, or ended right after it opened: back off, and say so
      const wait = backoffMs(attempt++, problem?.retryAfterMs);
      opts.onState({ kind: "retrying", retryAtMs: Date.now() + wait, problem });
      try {
        await sleep(wait, stopper.signal);
      } catch {
        return;
      }
    }
  })();
  return () => stopper.abort();
}
