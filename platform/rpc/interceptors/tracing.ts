import { Code, ConnectError, createContextKey, type Interceptor } from "@connectrpc/connect";
import type { IdGenerator } from "../../ids/index.js";
import { type Context, type Span, SpanKind, SpanStatusCode, type Tracing } from "../../tracing/index.js";
import { requestIdKey } from "../context.js";
import { requestIdOf } from "./request-log.js";

/** Codes that mean the server failed (OpenTelemetry's RPC conventions): the span is marked as an error. */
const serverErrors = new Set<number>([
  Code.Unknown,
  Code.DeadlineExceeded,
  Code.Unimplemented,
  Code.Internal,
  Code.Unavailable,
  Code.DataLoss,
]);

/**
 * Whether the call's headers carry a trace context or a request id, when the transport can tell
 * cheaply (our adapter reads Node's header object: a few property checks instead of undici
 * `Headers` look-ups at ~0.3 µs each); undefined: ask the headers.
 */
export const carriesTraceKey = createContextKey<boolean | undefined>(undefined, { description: "carries trace" });

export interface TracingInterceptorOptions {
  /** Makes the request id of a call that brings none (shared with the request-log interceptor). */
  newRequestId: IdGenerator;
  /** Services never traced: health probes and reflection. */
  untraced: ReadonlySet<string>;
}

/**
 * Outermost interceptor: continues the caller's trace (W3C or B3 headers, see Tracing.extract),
 * takes the request id early so calls made while serving forward it, and runs the rest of the
 * chain in that context — under a SERVER span `<package.Service>/<Method>` with `rpc.system`,
 * `rpc.service`, `rpc.method`, `rpc.grpc.status_code` and `boxoffice.request_id` when recording.
 * A call with no trace headers and no request id, in a process that records nothing, passes
 * straight through.
 */
export function tracingInterceptor(tracing: Tracing, o: TracingInterceptorOptions): Interceptor {
  return (next) => (req) => {
    if (
      (!tracing.recording && !(req.contextValues.get(carriesTraceKey) ?? tracing.carriesContext(req.header))) ||
      o.untraced.has(req.service.typeName)
    )
      return next(req);
    const requestId = requestIdOf(req.header, o.newRequestId);
    req.contextValues.set(requestIdKey, requestId);
    const parent = tracing.withRequestId(tracing.extract(req.header), requestId);
    const grpc = req.header.get("content-type")?.startsWith("application/grpc") ?? false;
    const { span, ctx } = tracing.start(
      `${req.service.typeName}/${req.method.name}`,
      SpanKind.SERVER,
      {
        "rpc.system": grpc ? "grpc" : "connect_rpc",
        "rpc.service": req.service.typeName,
        "rpc.method": req.method.name,
        "boxoffice.request_id": requestId,
      },
      parent,
    );
    const done = (err: unknown) => end(span, err);
    let res: ReturnType<typeof next>;
    try {
      res = tracing.with(ctx, () => next(req));
    } catch (e) {
      done(e);
      throw e;
    }
    return res.then(
      (r) => {
        if (!r.stream) {
          done(undefined);
          return r;
        }
        return { ...r, message: inContext(tracing, ctx, r.message, done) };
      },
      (e: unknown) => {
        done(e);
        throw e;
      },
    );
  };
}

function end(span: Span | undefined, err: unknown): void {
  if (span === undefined) return;
  const code: number = err === undefined ? 0 : ConnectError.from(err).code; // 0: OK
  span.setAttribute("rpc.grpc.status_code", code);
  if (serverErrors.has(code)) span.setStatus({ code: SpanStatusCode.ERROR, message: Code[code] });
  span.end();
}

/**
 * A response stream whose items are produced in `ctx` (the handler's generator runs when Connect
 * pulls, outside the call's context otherwise), calling `done` once when it ends.
 */
async function* inContext<T>(
  tracing: Tracing,
  ctx: Context,
  it: AsyncIterable<T>,
  done: (err: unknown) => void,
): AsyncIterable<T> {
  const iterator = it[Symbol.asyncIterator]();
  let err: unknown;
  try {
    for (;;) {
      const r = await tracing.with(ctx, () => iterator.next());
      if (r.done === true) return;
      yield r.value;
    }
  } catch (e) {
    err = e;
    throw e;
  } finally {
    await iterator.return?.();
    done(err);
  }
}
