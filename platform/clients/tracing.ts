import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { SpanKind, SpanStatusCode, type Tracing } from "../tracing/index.js";

/**
 * The outermost interceptor of a `ctx.client()` client: one CLIENT span per call (retries
 * included) under the work in progress when recording, and in any case the trace headers of that
 * work — `traceparent`/`tracestate`, B3 `x-b3-*` and `x-request-id` — on the request, so the
 * callee (and the mesh's Envoys between) continue the same trace. Outside any traced work, a
 * process that records nothing adds nothing.
 */
export function tracingClientInterceptor(tracing: Tracing, target: string): Interceptor {
  return (next) => async (req) => {
    const parent = tracing.active();
    const { span, ctx } = tracing.start(
      `${req.service.typeName}/${req.method.name}`,
      SpanKind.CLIENT,
      {
        "rpc.system": "grpc",
        "rpc.service": req.service.typeName,
        "rpc.method": req.method.name,
        "server.address": target,
      },
      parent,
    );
    tracing.inject(ctx, req.header);
    if (span === undefined) return next(req);
    try {
      const res = await next(req);
      span.setAttribute("rpc.grpc.status_code", 0);
      return res;
    } catch (e) {
      const code = ConnectError.from(e).code;
      span.setAttribute("rpc.grpc.status_code", code);
      span.setStatus({ code: SpanStatusCode.ERROR, message: Code[code] });
      throw e;
    } finally {
      span.end();
    }
  };
}
