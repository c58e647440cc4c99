import { type Req, type Res, respond } from "./http.js";

/**
 * Answers a path no RPC matches, in the caller's protocol: gRPC and gRPC-Web clients get HTTP 200
 * with `grpc-status: 12` (UNIMPLEMENTED) in a trailers-only response, as grpc-go does; everyone
 * else (Connect, curl, browsers) gets HTTP 404 with a Connect error body.
 */
export function unknownRoute(req: Req, res: Res): void {
  const path = (req.url ?? "/").split("?")[0] ?? "/";
  const message = `unknown method ${path}: no such service or method on this server`;
  const contentType = String(req.headers["content-type"] ?? "");
  if (contentType.startsWith("application/grpc")) {
    respond(res, 200, {
      "content-type": contentType.startsWith("application/grpc-web")
        ? "application/grpc-web+proto"
        : "application/grpc",
      "grpc-status": "12",
      "grpc-message": encodeURIComponent(message),
    });
    return;
  }
  const body = JSON.stringify({ code: "unimplemented", message });
  respond(res, 404, { "content-type": "application/json" }, body);
}
