/**
 * What the load generator saw: every call's outcome (method, canonical code, ErrorInfo reason,
 * start and end on the wall clock, so the fault suite can line errors up with its faults) and the
 * retry policy buyers follow on the codes that say "try again".
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { sleep } from "../../platform/clock/index.js";

/** One answered call (OK or an error), wall-clock milliseconds. */
export interface CallRecord {
  method: string;
  /** "OK" or the canonical code's name in UPPER_SNAKE (UNAVAILABLE, FAILED_PRECONDITION, …). */
  code: string;
  /** google.rpc.ErrorInfo reason, when the error carried one. */
  reason: string;
  message: string;
  startMs: number;
  endMs: number;
}

/** UPPER_SNAKE name of a Connect code (Code.FailedPrecondition → FAILED_PRECONDITION). */
export function codeName(code: Code): string {
  return (Code[code] ?? String(code)).replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

/** The codes a client retries with the same request_id (every mutating call of the flow is idempotent). */
export const retryableCodes: ReadonlySet<Code> = new Set([
  Code.Unavailable,
  Code.ResourceExhausted,
  Code.DeadlineExceeded,
]);

export class Recorder {
  /** Answers by "method code reason". */
  readonly answers = new Map<string, { method: string; code: string; reason: string; n: number }>();
  /** Every error (bounded), for the fault suite's classification. */
  readonly errors: CallRecord[] = [];
  /** Latencies of OK answers per method, ms. */
  readonly latencies = new Map<string, number[]>();
  static readonly maxErrors = 200_000;

  record(r: CallRecord): void {
    const key = `${r.method} ${r.code} ${r.reason}`;
    const a = this.answers.get(key);
    if (a === undefined) this.answers.set(key, { method: r.method, code: r.code, reason: r.reason, n: 1 });
    else a.n++;
    if (r.code === "OK") {
      let l = this.latencies.get(r.method);
      if (l === undefined) this.latencies.set(r.method, (l = []));
      l.push(r.endMs - r.startMs);
    } else if (this.errors.length < Recorder.maxErrors) {
      this.errors.push(r);
    }
  }

  /** Runs one call and records its outcome; rethrows its error as a ConnectError. */
  async call<T>(method: string, fn: () => Promise<T>): Promise<T> {
    const startMs = Date.now();
    try {
      const out = await fn();
      this.record({ method, code: "OK", reason: "", message: "", startMs, endMs: Date.now() });
      return out;
    } catch (e) {
      const err = connectionLost(e) ?? ConnectError.from(e);
      this.record({
        method,
        code: codeName(err.code),
        reason: reasonOf(err),
        message: err.rawMessage.slice(0, 300),
        startMs,
        endMs: Date.now(),
      });
      throw err;
    }
  }

  /**
   * `call` until it answers something other than a retryable code, with capped exponential backoff
   * and jitter, until `deadlineMs` (wall clock) — then the last error is thrown.
   */
  async retrying<T>(
    method: string,
    deadlineMs: number,
    fn: () => Promise<T>,
    random: () => number = Math.random,
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.call(method, fn);
      } catch (e) {
        const err = e as ConnectError;
        if (!retryableCodes.has(err.code) || Date.now() >= deadlineMs) throw err;
        const backoff = Math.min(2_000, 100 * 2 ** Math.min(attempt, 5));
        // at least what the server asked for (RetryInfo), as the storefront does (web/src/api/transport.ts)
        const wait = Math.max(backoff / 2 + random() * backoff, retryAfterMs(err));
        await sleep(Math.min(wait, Math.max(0, deadlineMs - Date.now())));
      }
    }
  }
}

/** The delay a refusal's RetryInfo asks for, 0 when it has none. */
function retryAfterMs(err: ConnectError): number {
  try {
    const d = err.findDetails(RetryInfoSchema)[0]?.retryDelay;
    return d === undefined ? 0 : Number(d.seconds) * 1000 + Math.round(d.nanos / 1e6);
  } catch {
    return 0;
  }
}

/** The ErrorInfo reason of an error, "" when it has none (CONNECTION_LOST for a call cut off by a dying server). */
export function reasonOf(err: ConnectError): string {
  if (err.code === Code.Unavailable && err.rawMessage.startsWith("connection lost (")) return "CONNECTION_LOST";
  try {
    return err.findDetails(ErrorInfoSchema)[0]?.reason ?? "";
  } catch {
    return "";
  }
}

/** Node's codes for a connection that broke under a call (the peer died or reset it). */
const brokenConnection = new Set([
  "ECONNRESET",
  "EPIPE",
  "ERR_HTTP2_STREAM_ERROR",
  "ERR_HTTP2_SESSION_ERROR",
  "ERR_HTTP2_GOAWAY_SESSION",
  "ERR_HTTP2_INVALID_SESSION",
  "ERR_HTTP2_STREAM_CANCEL",
  "ERR_STREAM_PREMATURE_CLOSE",
]);

/**
 * A call cut off because the server's process died is no answer from the server: connect-node
 * reports it as CANCELED ("http/2 stream closed with error code CANCEL", the session's streams
 * closed under it) or ABORTED (ECONNRESET), where the gRPC spec and grpc-js say UNAVAILABLE
 * ("connection failure"). Such client-side errors become UNAVAILABLE with reason CONNECTION_LOST
 * (the original kept in the message), and are retried like it. Anything the server sent — and an
 * RST_STREAM with INTERNAL_ERROR — stays what it is.
 */
export function connectionLost(e: unknown): ConnectError | undefined {
  const err = ConnectError.from(e);
  const nodeCodes: string[] = [];
  for (let c: unknown = err.cause; c instanceof Error && nodeCodes.length < 10; c = c.cause) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === "string") nodeCodes.push(code);
  }
  const cancelled = err.code === Code.Canceled && /^http\/2 stream closed with error code CANCEL/.test(err.rawMessage);
  if (!cancelled && !nodeCodes.some((c) => brokenConnection.has(c))) return undefined;
  return new ConnectError(
    `connection lost (${codeName(err.code)}${nodeCodes.length > 0 ? ` ${nodeCodes.join(" ")}` : ""}: ${err.rawMessage})`,
    Code.Unavailable,
    undefined,
    undefined,
    err,
  );
}
