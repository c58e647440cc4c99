import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";

/** The reason a call's signal gets when the call simply ended (see {@link callGate}). */
const callEnded = new ConnectError("the call has ended", Code.Canceled);

/**
 * The request gate of the server (Connect runs it first, with the call's context, for every
 * protocol). It hooks the context's `abort`, which every protocol handler calls with the error
 * *before* writing an error out, and without a reason once a call is done:
 *
 * - connect-es 2.2 reports a request body that is not valid protobuf as INTERNAL ("parse binary:
 *   …") while invalid JSON is INVALID_ARGUMENT, and parses unary requests before any interceptor
 *   runs, so no interceptor can catch it. A malformed request is the caller's fault and must never
 *   look like a server bug: that one error is re-coded in place. (Remove once connect-es reports
 *   it as INVALID_ARGUMENT.) connect-node likewise reports a gzip/brotli body that fails to
 *   decompress for a reason it does not list (a truncated stream, a bad brotli block) as INTERNAL
 *   "decompression failed"; it is the caller's bytes, so it is re-coded the same way.
 * - An abort without a reason makes Node build a DOMException with a stack trace — for every call,
 *   a few percent of an empty RPC's CPU time. The end of a call gets a shared reason instead.
 */
export function callGate(context: HandlerContext): void {
  const ctx = context as HandlerContext & { abort?: (reason?: unknown) => void };
  const abort = ctx.abort;
  if (typeof abort !== "function") return;
  ctx.abort = (reason?: unknown) => {
    if (
      reason instanceof ConnectError &&
      reason.code === Code.Internal &&
      (reason.rawMessage.startsWith("parse binary:") || reason.rawMessage === "decompression failed")
    )
      (reason as { code: Code }).code = Code.InvalidArgument;
    abort.call(ctx, reason ?? callEnded);
  };
}
