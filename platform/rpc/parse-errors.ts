import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";

/**
 * connect-es 2.2 reports a request body that is not valid protobuf as INTERNAL ("parse binary: …")
 * while invalid JSON is INVALID_ARGUMENT, and it parses unary requests before any interceptor runs,
 * so no interceptor can catch it. A malformed request is the caller's fault and must never look
 * like a server bug. Every protocol handler aborts the call's context with the error *before* it
 * writes the error out, so this request gate (which runs first, with the context) re-codes that one
 * error in place when the abort happens. Remove once connect-es reports it as INVALID_ARGUMENT.
 */
export function reclassifyParseErrors(context: HandlerContext): void {
  context.signal.addEventListener(
    "abort",
    () => {
      const reason: unknown = context.signal.reason;
      if (
        reason instanceof ConnectError &&
        reason.code === Code.Internal &&
        reason.rawMessage.startsWith("parse binary:")
      ) {
        (reason as { code: Code }).code = Code.InvalidArgument;
      }
    },
    { once: true },
  );
}
