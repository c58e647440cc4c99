import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import type { Logger } from "pino";
import { Counter } from "prom-client";
import { ServerReflection as ReflectionV1 } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ReflectionV1Alpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { createHealthService, Health, HealthRegistry, ServingStatus } from "../health/index.js";
import { createRequestIdGenerator } from "../ids/index.js";
import type { AccessLog } from "../log/index.js";
import { countCallsEndingEarly, type Metrics, metricsInterceptor } from "../metrics/index.js";
import { createReflectionV1, createReflectionV1Alpha } from "../reflection/index.js";
import { access, tierOf } from "../rpc/access.js";
import { clientAddressKey } from "../rpc/context.js";
import { errorDomain, toConnectError } from "../rpc/errors.js";
import { admissionInterceptor, connectionKey } from "../rpc/interceptors/admission.js";
import { type Authenticator, accessInterceptor, authenticationInterceptor } from "../rpc/interceptors/auth.js";
import { deadlineInterceptor } from "../rpc/interceptors/deadline.js";
import { errorMappingInterceptor } from "../rpc/interceptors/error-mapping.js";
import { requestLogInterceptor } from "../rpc/interceptors/request-log.js";
import { carriesTraceKey, tracingInterceptor } from "../rpc/interceptors/tracing.js";
import { validationInterceptor } from "../rpc/interceptors/validate.js";
import { callGate } from "../rpc/parse-errors.js";
import { buildAccessTable, defineService, procedureOf, type ServiceRegistration } from "../rpc/service.js";
import { type Tracing, traceContextHeaders } from "../tracing/index.js";
import { createRpcAdapter, lazyValue } from "./adapter.js";
import { AdminServer, type ReadinessCheck } from "./admin.js";
import { handleCors } from "./cors.js";
import { unknownRoute } from "./fallback.js";
import type { HttpRoute, Req, Res } from "./http.js";
import { type ConnectionLimits, defaultConnectionLimits, OnePortListener } from "./one-port.js";
import { staticSite } from "./static.js";

export type { ReadinessCheck } from "./admin.js";

export type { HttpRoute } from "./http.js";

export interface RpcServerOptions {
  host: string;
  /** The one port for gRPC, Connect and gRPC-Web; 0 picks a free one. */
  port: number;
  /** The admin port (/metrics, /healthz, /readyz); 0 picks a free one. */
  adminPort: number;
  logger: Logger;
  metrics: Metrics;
  /** Which finished calls get an access-log line (default: all). */
  accessLog?: AccessLog;
  /** The application services; health and reflection are added by the server. */
  services: readonly ServiceRegistration[];
  authenticate?: Authenticator;
  corsOrigins: readonly string[];
  /** The unary bound: unary calls in progress at which even critical calls are refused (see admission.ts). */
  maxInflight: number;
  /** Application streams (WatchOrder, WatchAvailability) open at once, in total and per connection (default 4096 and 1024). */
  maxStreams?: number;
  maxStreamsPerConnection?: number;
  /** Health.Watch and reflection streams open at once, in total and per connection (default 1000 and 16). */
  maxControlStreams?: number;
  maxControlStreamsPerConnection?: number;
  defaultDeadlineMs: number;
  /** The longest deadline a client may ask for; longer ones get INVALID_ARGUMENT. */
  maxDeadlineMs: number;
  /** How long a drain waits for calls in progress before cutting them off. */
  shutdownGraceMs: number;
  /** Largest accepted request message, in bytes. */
  readMaxBytes: number;
  /** Slow-client timeouts and the connection cap of the RPC port (default: {@link defaultConnectionLimits}). */
  connections?: ConnectionLimits;
  readiness?: readonly ReadinessCheck[];
  /** How many `x-forwarded-for` entries, from the right, our own proxies wrote (0: ignore the header). */
  trustedProxyHops: number;
  httpRoutes?: Readonly<Record<string, HttpRoute>>;
  /** Development only: a built single-page app served on GET/HEAD paths that match no RPC (see static.ts). */
  webRoot?: string;
  /** Aborted when the drain starts (created here when not given; services get it before the server exists). */
  drainController?: AbortController;
  /** The process's tracing: a span per RPC (when recording) and the caller's trace context carried on. */
  tracing?: Tracing;
}

export interface RpcServer {
  /** The bound RPC port. */
  readonly port: number;
  readonly adminPort: number;
  readonly health: HealthRegistry;
  /** Unary calls in progress and application streams open, as admission counts them. */
  readonly admission: { unary(): number; streams(): number };
  /** Aborted when the drain starts: long-lived streams end cleanly on it. */
  readonly drainSignal: AbortSignal;
  /**
   * Graceful shutdown: health turns NOT_SERVING at once, new calls get UNAVAILABLE, calls in
   * progress finish (up to the grace period, then they are cancelled), then connections close.
   * Resolves `clean: false` when the grace period ran out.
   */
  drain(): Promise<{ clean: boolean }>;
}

const controlPlane = new Set([Health.typeName, ReflectionV1.typeName, ReflectionV1Alpha.typeName]);

/** Builds the one-port server of a process and starts listening. */
export async function startRpcServer(opts: RpcServerOptions): Promise<RpcServer> {
  const health = new HealthRegistry();
  const drainController = opts.drainController ?? new AbortController();
  const shutdownController = new AbortController();
  const isDraining = () => drainController.signal.aborted;

  const appServices = opts.services;
  const reflectionOpts = {
    serviceNames: () => allServices.map((s) => s.desc.typeName),
    services: () => allServices.map((s) => s.desc),
    drainSignal: drainController.signal,
  };
  const allServices: ServiceRegistration[] = [
    ...appServices,
    defineService(
      Health,
      { check: access.public(), watch: access.public(), list: access.public() },
      createHealthService(health),
    ),
    defineService(ReflectionV1, { serverReflectionInfo: access.public() }, createReflectionV1(reflectionOpts)),
    defineService(
      ReflectionV1Alpha,
      { serverReflectionInfo: access.public() },
      createReflectionV1Alpha(reflectionOpts),
    ),
  ];
  const accessTable = buildAccessTable(allServices);
  const shed = new Counter({
    name: "rpc_server_shed_total",
    help: "Calls refused before running, by reason — overloaded (RESOURCE_EXHAUSTED: unary calls in progress at the tier's share of BOXOFFICE_MAX_INFLIGHT), draining (UNAVAILABLE while shutting down), too_many_streams (a stream budget full) — and tier (sheddable, normal, critical, internal; stream; control for health/reflection streams)",
    labelNames: ["reason", "tier"],
    registers: [opts.metrics.registry],
  });
  const tiers = new Map([...accessTable].map(([procedure, rule]) => [procedure, tierOf(rule)]));
  const admission = admissionInterceptor({
    onShed: (reason, tier) => shed.inc({ reason, tier }),
    maxUnary: opts.maxInflight,
    tierOf: (m) => tiers.get(procedureOf(m)) ?? "normal",
    maxStreams: opts.maxStreams ?? 4096,
    maxStreamsPerConnection: opts.maxStreamsPerConnection ?? 1024,
    isDraining,
    exempt: controlPlane,
    maxExemptStreams: opts.maxControlStreams ?? 1000,
    maxExemptStreamsPerConnection: opts.maxControlStreamsPerConnection ?? 16,
  });

  const newRequestId = createRequestIdGenerator();
  const rpcHandler = createRpcAdapter({
    routes: (router: ConnectRouter) => {
      for (const s of allServices) router.service(s.desc, s.impl);
    },
    interceptors: [
      ...(opts.tracing ? [tracingInterceptor(opts.tracing, { newRequestId, untraced: controlPlane })] : []),
      requestLogInterceptor({
        logger: opts.logger,
        newRequestId,
        quietServices: controlPlane,
        accessLog: opts.accessLog,
      }),
      metricsInterceptor(opts.metrics),
      errorMappingInterceptor(opts.logger),
      deadlineInterceptor(),
      authenticationInterceptor(opts.authenticate),
      accessInterceptor(accessTable),
      validationInterceptor(allServices.map((s) => s.desc)),
      admission,
    ],
    defaultDeadlineMs: Math.min(opts.defaultDeadlineMs, opts.maxDeadlineMs),
    logger: opts.logger,
    maxTimeoutMs: opts.maxDeadlineMs,
    readMaxBytes: opts.readMaxBytes,
    shutdownSignal: shutdownController.signal,
    fallback: opts.webRoot === undefined ? unknownRoute : staticSite(opts.webRoot, unknownRoute),
    // before the body is read: shedding and draining refuse here, so a refused call is never read
    requestGate: (ctx) => {
      callGate(ctx);
      // calls ending before the interceptors (refused here, body cut off, undecodable) are counted too
      countCallsEndingEarly(opts.metrics, ctx);
      try {
        admission.gate(ctx);
      } catch (e) {
        throw toConnectError(e, errorDomain(ctx.service.typeName));
      }
    },
    lazyValues: [
      lazyValue(clientAddressKey, (req) => clientAddress(req, opts.trustedProxyHops)),
      lazyValue(carriesTraceKey, (req) => traceContextHeaders.some((h) => req.headers[h] !== undefined)),
      // an HTTP/2 request's socket is a proxy per stream: the session is the connection
      lazyValue(connectionKey, (req): object => ("stream" in req ? req.stream.session : req.socket) ?? req.socket),
    ],
  });

  let httpInflight = 0;
  const routes = opts.httpRoutes ?? {};
  const hasRoutes = Object.keys(routes).length > 0;
  const closed = () => void httpInflight--;
  const handler = (req: Req, res: Res) => {
    httpInflight++;
    if (req.headers.origin !== undefined && handleCors(req, res, opts.corsOrigins))
      return void res.once("close", closed);
    if (hasRoutes) {
      const url = req.url ?? "/";
      const q = url.indexOf("?");
      const route = routes[q < 0 ? url : url.slice(0, q)];
      if (route !== undefined) {
        res.once("close", closed);
        return route(req, res);
      }
    }
    rpcHandler(req, res, closed); // the adapter calls it from the one close listener it needs anyway
  };

  const connectionsClosed = new Counter({
    name: "boxoffice_connections_closed_total",
    help: "connections the RPC port closed itself, by reason (first_byte_timeout, request_timeout, idle_timeout, over_capacity)",
    labelNames: ["reason"],
    registers: [opts.metrics.registry],
  });
  const listener = new OnePortListener(handler, opts.connections ?? defaultConnectionLimits, {
    closed: (reason) => connectionsClosed.inc({ reason }),
  });
  const admin = new AdminServer({ registry: opts.metrics.registry, isDraining, readiness: opts.readiness ?? [] });
  const port = await listener.listen(opts.port, opts.host);
  const adminPort = await admin.listen(opts.adminPort, opts.host);

  health.set("", ServingStatus.SERVING);
  for (const s of allServices) health.set(s.desc.typeName, ServingStatus.SERVING);

  let drained: Promise<{ clean: boolean }> | undefined;
  const drain = () => {
    drained ??= (async () => {
      const log = opts.logger;
      log.info({ graceMs: opts.shutdownGraceMs }, "draining: health NOT_SERVING, refusing new calls");
      health.drain();
      drainController.abort();
      const deadline = Date.now() + opts.shutdownGraceMs;
      while ((httpInflight > 0 || admission.inflight() > 0) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const clean = httpInflight === 0 && admission.inflight() === 0;
      if (!clean) {
        log.warn({ inflight: admission.inflight() }, "grace period over: cancelling calls still in progress");
        shutdownController.abort(new ConnectError("server shut down before the call finished", Code.Unavailable));
        await new Promise((r) => setTimeout(r, 100));
      }
      await Promise.all([listener.close(), admin.close()]);
      log.info({ clean }, "drained");
      return { clean };
    })();
    return drained;
  };

  return {
    port,
    adminPort,
    health,
    admission: { unary: admission.unary, streams: admission.streams },
    drainSignal: drainController.signal,
    drain,
  };
}

/**
 * The caller's address. `x-forwarded-for` is trusted only as far as our own proxies wrote it:
 * with `trustedHops` = n (the ingress gateway in the cluster: 1) the n-th entry from the right is
 * the client; anything further left was written by the client and could be anything. With 0 (the
 * default, a process reached directly) the header is ignored.
 */
function clientAddress(req: Req, trustedHops: number): string | undefined {
  if (trustedHops > 0) {
    const raw = req.headers["x-forwarded-for"];
    const hops = (Array.isArray(raw) ? raw.join(",") : (raw ?? ""))
      .split(",")
      .map((h) => h.trim())
      .filter((h) => h !== "");
    const client = hops[hops.length - trustedHops];
    if (client !== undefined) return client;
  }
  return req.socket.remoteAddress;
}
