import type * as http from "node:http";
import type { connectNodeAdapter } from "@connectrpc/connect-node";

// connect-node does not export its request/response types from the package root.
type NodeHandlerFn = ReturnType<typeof connectNodeAdapter>;

/** A request on the one port: HTTP/1.1 or HTTP/2 (compatibility API). */
export type Req = Parameters<NodeHandlerFn>[0];
/** A response on the one port: HTTP/1.1 or HTTP/2 (compatibility API). */
export type Res = Parameters<NodeHandlerFn>[1];
/** A plain HTTP route served on the RPC port beside the RPCs (e.g. the JWKS document). */
export type HttpRoute = (req: Req, res: Res) => void;

/**
 * Writes a whole response. Both HTTP versions' response objects take the same call at run time;
 * their TypeScript overloads just do not unify.
 */
export function respond(res: Res, status: number, headers: http.OutgoingHttpHeaders, body?: string): void {
  const r = res as unknown as http.ServerResponse;
  if (body !== undefined) headers["content-length"] = Buffer.byteLength(body);
  r.writeHead(status, headers);
  r.end(body);
}
