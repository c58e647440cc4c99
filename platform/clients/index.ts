import type { DescService } from "@bufbuild/protobuf";
import { type Client, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";

/**
 * A client for another Boxoffice service: gRPC over HTTP/2 cleartext to `baseUrl` (in the mesh the
 * sidecar adds mTLS; all-in-one it is loopback). Services never import each other's code: they call
 * each other only through these generated clients. Services get theirs from `ctx.client()`, which
 * adds the resilience policy (./resilience.ts) and the service's identity.
 */
export function createServiceClient<D extends DescService>(
  desc: D,
  baseUrl: string,
  opts: { interceptors?: Interceptor[]; defaultTimeoutMs?: number } = {},
): Client<D> {
  const transport = createGrpcTransport({
    baseUrl,
    interceptors: opts.interceptors ?? [],
    defaultTimeoutMs: opts.defaultTimeoutMs ?? 5_000,
    pingIntervalMs: 30_000,
    idleConnectionTimeoutMs: 60_000,
  });
  return createClient(desc, transport);
}
