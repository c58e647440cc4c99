/**
 * Routes rendered from the contracts: the in-mesh VirtualService and DestinationRule of every
 * service, and the ingress VirtualService that exposes the public contracts. Retries follow the
 * in-app rule (platform/clients/resilience.ts): only reads and requests carrying `request_id` are
 * retried on failures that may have reached the server; everything else only when the request
 * provably never left (connect-failure, refused-stream). Istio's implicit default (2 retries on
 * 503, unavailable, cancelled…) is never left in place.
 */
import { cors } from "@connectrpc/connect";
import { type ServiceName, serviceNames } from "../../platform/config/runtime.js";
import { ingressReachable, type MethodFacts, retrySafe } from "./facts.js";
import { storefrontRoute } from "./storefront.js";
import { deployment, traits } from "./topology.js";

type Obj = Record<string, unknown>;

/** Conditions under which the request may have reached the server: safe routes only. */
export const safeRetryOn = "connect-failure,refused-stream,reset,unavailable,503";
/** Conditions under which the request never reached the server: any route. */
export const preRequestRetryOn = "connect-failure,refused-stream";

/**
 * Route timeouts. Envoy ignores Connect-Timeout-Ms, so the route timeout caps a Connect call;
 * gRPC's grpc-timeout is honoured up to it. Above the 15 s default deadline; streams have none.
 */
export const routeTimeouts = { unary: "30s", readAttempt: "5s", stream: "0s" } as const;

/**
 * Attempts after the first. At the ingress nobody else retries (browsers do not); in the mesh the
 * caller's cockatiel policy already retries twice, so the sidecar adds one: at most 3 × 2 tries.
 */
const attempts = { ingress: 2, mesh: 1 } as const;

/** Headers a browser may send: Connect's and gRPC-Web's, ours, and W3C/B3 trace context. */
export const corsAllowHeaders = [
  ...cors.allowedHeaders,
  "Authorization",
  "X-Request-Id",
  "traceparent",
  "tracestate",
  "b3",
  "X-B3-TraceId",
  "X-B3-SpanId",
  "X-B3-ParentSpanId",
  "X-B3-Sampled",
  "X-B3-Flags",
];

/** The origin in the generated ingress; every overlay replaces it with BOXOFFICE_CORS_ORIGINS. */
export const corsOriginPlaceholder = "https://storefront.invalid";

function destination(service: string): Obj {
  return { destination: { host: service, port: { number: deployment.port } } };
}

interface RouteGroup {
  readonly name: string;
  readonly paths: readonly string[];
  readonly timeout: string;
  readonly retries: Obj;
}

/** Exact-path groups for one service: streams, reads, request_id writes (the rest falls through). */
function groups(facts: readonly MethodFacts[], documents: readonly string[], scope: "ingress" | "mesh"): RouteGroup[] {
  const n = attempts[scope];
  const streams = facts.filter((f) => f.streaming).map((f) => f.path);
  const reads = facts.filter((f) => retrySafe(f) && f.idempotency === "NO_SIDE_EFFECTS").map((f) => f.path);
  const writes = facts.filter((f) => retrySafe(f) && f.idempotency !== "NO_SIDE_EFFECTS").map((f) => f.path);
  const out: RouteGroup[] = [];
  if (streams.length > 0) {
    out.push({ name: "streams", paths: streams, timeout: routeTimeouts.stream, retries: { attempts: 0 } });
  }
  if (reads.length + documents.length > 0) {
    out.push({
      name: "reads",
      paths: [...reads, ...documents],
      timeout: routeTimeouts.unary,
      retries: { attempts: n, perTryTimeout: routeTimeouts.readAttempt, retryOn: safeRetryOn },
    });
  }
  if (writes.length > 0) {
    // No per-try timeout: a slow write must not be re-sent while the first attempt still runs.
    out.push({
      name: "request-id-writes",
      paths: writes,
      timeout: routeTimeouts.unary,
      retries: { attempts: n, retryOn: safeRetryOn },
    });
  }
  return out;
}

const unsafeRetries = (scope: "ingress" | "mesh") => ({ attempts: attempts[scope], retryOn: preRequestRetryOn });

/** The in-mesh VirtualService of every service (callers' sidecars apply it). */
export function meshVirtualServices(facts: readonly MethodFacts[]): Obj[] {
  return serviceNames.map((s) => {
    const own = facts.filter((f) => f.service === s);
    const port = { port: deployment.port };
    const http: Obj[] = groups(own, traits[s].documents, "mesh").map((g) => ({
      name: g.name,
      match: g.paths.map((p) => ({ ...port, uri: { exact: p } })),
      route: [destination(s)],
      timeout: g.timeout,
      retries: g.retries,
    }));
    // Everything else (non-idempotent RPCs, health checks, reflection) on the RPC port.
    http.push({
      name: "default",
      match: [port],
      route: [destination(s)],
      timeout: routeTimeouts.unary,
      retries: unsafeRetries("mesh"),
    });
    return {
      apiVersion: "networking.istio.io/v1",
      kind: "VirtualService",
      metadata: { name: s },
      spec: { hosts: [s], http },
    };
  });
}

/** mTLS, a connection pool, and ejection of hosts that keep answering with gateway errors. */
export function destinationRules(): Obj[] {
  return serviceNames.map((s) => ({
    apiVersion: "networking.istio.io/v1",
    kind: "DestinationRule",
    metadata: { name: s },
    spec: {
      host: s,
      trafficPolicy: {
        tls: { mode: "ISTIO_MUTUAL" },
        loadBalancer: { simple: "LEAST_REQUEST" },
        connectionPool: {
          tcp: { maxConnections: 1000, connectTimeout: "2s" },
          // maxRetries caps retries in flight to the whole service: no retry storm in an outage.
          http: { http2MaxRequests: 5000, maxRetries: 50, idleTimeout: "300s" },
        },
        outlierDetection: {
          // gRPC UNAVAILABLE counts as 503 here; application errors (500) never eject a host.
          consecutiveGatewayErrors: 5,
          consecutive5xxErrors: 0,
          interval: "10s",
          baseEjectionTime: "30s",
          maxEjectionPercent: 50,
        },
      },
    },
  }));
}

/** The ingress VirtualService: each public contract's RPCs and the published documents. */
export function ingressVirtualService(facts: readonly MethodFacts[]): Obj {
  const corsPolicy = {
    allowOrigins: [{ exact: corsOriginPlaceholder }],
    allowMethods: [...cors.allowedMethods],
    allowHeaders: corsAllowHeaders,
    exposeHeaders: [...cors.exposedHeaders, "X-Request-Id"],
    maxAge: "7200s",
  };
  const http: Obj[] = [];
  for (const s of serviceNames as readonly ServiceName[]) {
    const exposed = facts.filter((f) => f.service === s && ingressReachable(f));
    for (const g of groups(exposed, traits[s].documents, "ingress")) {
      http.push({
        name: `${s}-${g.name}`,
        match: g.paths.map((p) => ({ uri: { exact: p } })),
        route: [destination(s)],
        timeout: g.timeout,
        retries: g.retries,
        corsPolicy,
      });
    }
    const contracts = [...new Set(exposed.map((f) => f.contract))];
    if (contracts.length > 0) {
      http.push({
        name: `${s}-rpcs`,
        match: contracts.map((c) => ({ uri: { prefix: `/${c}/` } })),
        route: [destination(s)],
        timeout: routeTimeouts.unary,
        retries: unsafeRetries("ingress"),
        corsPolicy,
      });
    }
  }
  // Last: the storefront's pages and files (none of its paths can be an RPC path).
  http.push(storefrontRoute());
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name: "boxoffice-ingress" },
    // Internal contracts are never routed here: no route, no path, a 404 at the edge.
    spec: { hosts: ["*"], gateways: [deployment.gatewayName], http },
  };
}
