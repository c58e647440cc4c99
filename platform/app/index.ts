import type { Logger } from "pino";
import { createTokenVerifier, ServiceIdentity } from "../auth/index.js";
import { createServiceClient } from "../clients/index.js";
import { resilienceInterceptor } from "../clients/resilience.js";
import { tracingClientInterceptor } from "../clients/tracing.js";
import { type Clock, systemClock } from "../clock/index.js";
import { infraNames } from "../config/names.js";
import { type RuntimeConfig, type ServiceName, serviceUrl } from "../config/runtime.js";
import { migrate } from "../db/migrate.js";
import { createIdGenerator } from "../ids/index.js";
import { createLogger, defaultAccessLog, parseAccessLog } from "../log/index.js";
import { createMetrics } from "../metrics/index.js";
import type { Authenticator } from "../rpc/interceptors/auth.js";
import { assertServesContracts, type ServiceRegistration } from "../rpc/service.js";
import { type RpcServer, startRpcServer } from "../server/index.js";
import { createTracing, type Tracing } from "../tracing/index.js";
import { loadProcessConfig } from "./config.js";
import type { ServiceInstance, ServiceModule } from "./context.js";
import { assertProductionReady } from "./production.js";
import { ProcessResources } from "./resources.js";

export { configListing, loadProcessConfig } from "./config.js";
export {
  type ConsumerSpec,
  type ServiceContext,
  type ServiceInstance,
  type ServiceModule,
  serviceModule,
} from "./context.js";
export { assertProductionReady, serviceProfiles } from "./production.js";

export interface ProcessOptions {
  modules: readonly ServiceModule[];
  /**
   * Every module of the program, running here or not (default: `modules`): production mode reads
   * from their access declarations which of `modules` call internal RPCs.
   */
  peers?: readonly ServiceModule[];
  env?: Record<string, string | undefined>;
  /** Registered beside the modules' services (tests add their echo service here). */
  extraServices?: readonly ServiceRegistration[];
  authenticate?: Authenticator;
  clock?: Clock;
  logger?: Logger;
  /** Development only: serve this built web app (the storefront's web/dist) at `/` on the port. */
  webRoot?: string;
  /** The process's tracing (default: from OTEL_EXPORTER_OTLP_ENDPOINT; see platform/tracing). */
  tracing?: Tracing;
}

export interface RunningProcess {
  readonly server: RpcServer;
  /** Each service's instance, by name (tests reach `internals` through it). */
  readonly services: ReadonlyMap<string, ServiceInstance>;
  readonly config: RuntimeConfig;
  readonly logger: Logger;
  readonly tracing: Tracing;
  /** Drains the server, then closes every service. */
  stop(): Promise<{ clean: boolean }>;
}

/** Starts the given services in one process behind one port. */
export async function startProcess(opts: ProcessOptions): Promise<RunningProcess> {
  const env = opts.env ?? process.env;
  const { config, settings } = loadProcessConfig(opts.modules, env);
  assertProductionReady(config, opts.modules, opts.peers ?? opts.modules, env, settings);
  const serviceList = opts.modules.map((m) => m.name).join(",");
  const instance = `${serviceList}-${process.pid}`;
  const tracing =
    opts.tracing ??
    createTracing({
      serviceName: opts.modules.length === 1 ? serviceList : "boxoffice",
      resource: {
        "service.namespace": "boxoffice",
        "service.instance.id": instance,
        "boxoffice.services": serviceList,
      },
      otlpEndpoint: config.otlpEndpoint,
      sampleRatio: config.traceSampleRatio,
    });
  const logger =
    opts.logger ??
    createLogger({ level: config.logLevel, base: { services: serviceList }, mixin: () => tracing.logFields() });
  const clock = opts.clock ?? systemClock;
  const newId = createIdGenerator(clock);
  const metrics = createMetrics();
  const names = infraNames(config.prefix);
  let boundPort = config.port;

  const drainController = new AbortController();
  const identities = new Map<string, ServiceIdentity>();
  const identityOf = (service: ServiceName): ServiceIdentity | undefined => {
    const secret = config.serviceSecrets[service];
    if (secret === undefined) return undefined;
    let id = identities.get(service);
    if (id === undefined) {
      id = new ServiceIdentity({ service, secret, authUrl: serviceUrl(config, "auth", boundPort), clock });
      identities.set(service, id);
    }
    return id;
  };
  const resources = new ProcessResources({
    config,
    names,
    clock,
    newId,
    metrics,
    logger,
    instance,
    tracing,
  });
  const instances: ServiceInstance[] = [];
  const closeAll = async () => {
    await resources.stopWork();
    for (const inst of instances.reverse()) await inst.close?.();
    await resources.close();
    // spans still in the batch go out; a collector that is away must not hold the exit hostage
    if (opts.tracing === undefined)
      await Promise.race([tracing.shutdown().catch(() => undefined), new Promise((r) => setTimeout(r, 2_000).unref())]);
  };
  let server: RpcServer;
  try {
    for (const m of opts.modules) {
      const log = logger.child({ service: m.name });
      if ((m.publishes?.length ?? 0) > 0) await resources.startPublishing(m.name, log, m.publishes!);
      instances.push(
        await m.create({
          name: m.name,
          config,
          settings: settings.get(m.name)!,
          logger: log,
          clock,
          newId,
          metrics,
          names,
          tracing,
          drainSignal: drainController.signal,
          database: () => resources.database(m.name, log),
          redis: () => resources.redis(),
          commands: () => resources.commands(m.name, log),
          consume: (spec) => resources.consume(m.name, log, spec),
          every: (spec) => resources.every(m.name, log, spec),
          client: (desc, target) =>
            // Built on first use: an all-in-one process on port 0 knows its own address only once it listens.
            lazy(() => {
              const identity = identityOf(m.name);
              return createServiceClient(desc, serviceUrl(config, target, boundPort), {
                interceptors: [
                  tracingClientInterceptor(tracing, target),
                  resilienceInterceptor({
                    target,
                    observeBreaker: (state) => metrics.breakers.track({ caller: m.name, target }, state),
                  }),
                  ...(identity ? [identity.interceptor()] : []),
                ],
              });
            }),
        }),
      );
    }
    for (const [i, m] of opts.modules.entries()) assertServesContracts(m.name, m.contracts, instances[i]!.services);
    server = await startRpcServer({
      host: config.host,
      port: config.port,
      adminPort: config.adminPort,
      logger,
      metrics,
      accessLog: config.accessLog === undefined ? defaultAccessLog(env) : parseAccessLog(config.accessLog),
      services: [...instances.flatMap((i) => i.services), ...(opts.extraServices ?? [])],
      authenticate: opts.authenticate ?? lazyVerifier(config, () => boundPort, clock, logger),
      httpRoutes: Object.assign({}, ...instances.map((i) => i.httpRoutes ?? {})),
      corsOrigins: config.corsOrigins,
      trustedProxyHops: config.trustedProxyHops,
      drainController,
      maxInflight: config.maxInflight,
      maxStreams: config.maxStreams,
      maxStreamsPerConnection: config.maxStreamsPerConnection,
      maxControlStreams: config.maxControlStreams,
      maxControlStreamsPerConnection: config.maxControlStreamsPerConnection,
      defaultDeadlineMs: config.defaultDeadlineMs,
      maxDeadlineMs: config.maxDeadlineMs,
      shutdownGraceMs: config.shutdownGraceMs,
      readMaxBytes: config.readMaxBytes,
      connections: {
        firstByteTimeoutMs: config.firstByteTimeoutMs,
        headersTimeoutMs: config.headersTimeoutMs,
        requestTimeoutMs: config.requestTimeoutMs,
        idleTimeoutMs: config.idleTimeoutMs,
        maxConnections: config.maxConnections,
      },
      readiness: [...resources.readiness(), ...instances.flatMap((i) => i.readiness ?? [])],
      webRoot: opts.webRoot,
      tracing,
    });
  } catch (e) {
    await closeAll();
    throw e;
  }
  boundPort = server.port;
  logger.info({ port: server.port, adminPort: server.adminPort }, "serving");

  let stopped: Promise<{ clean: boolean }> | undefined;
  return {
    server,
    services: new Map(opts.modules.map((m, i) => [m.name, instances[i]!])),
    config,
    logger,
    tracing,
    stop: () =>
      (stopped ??= (async () => {
        const result = await server.drain();
        await closeAll();
        return result;
      })()),
  };
}

/**
 * Applies the committed migrations of `modules` to their databases under `<prefix>_<service>`,
 * each under its own named lock (`boxoffice migrate`, and `make dev` before it serves).
 */
export async function migrateServices(
  modules: readonly ServiceModule[],
  env: Record<string, string | undefined> = process.env,
  logger?: Logger,
): Promise<Record<string, string[]>> {
  const { config } = loadProcessConfig(modules, env);
  const names = infraNames(config.prefix);
  const out: Record<string, string[]> = {};
  for (const m of modules) {
    const { applied } = await migrate({
      url: config.mariadbUrl,
      database: names.database(m.name),
      migrationsFolder: m.migrations,
      logger,
    });
    out[m.name] = applied;
  }
  return out;
}

/**
 * Token verification against the auth service's JWKS (BOXOFFICE_JWKS_URL, else the auth service's
 * `/.well-known/jwks.json`), created on first use: the port of an all-in-one process is only known
 * once it listens, and jose fetches the key set lazily anyway.
 */
function lazyVerifier(config: RuntimeConfig, port: () => number, clock: Clock, logger: Logger): Authenticator {
  let verifier: Authenticator | undefined;
  return (header) => {
    verifier ??= createTokenVerifier({
      jwks: config.jwksUrl ?? `${serviceUrl(config, "auth", port())}/.well-known/jwks.json`,
      issuer: config.jwtIssuer,
      audience: config.jwtAudience,
      clock,
      remote: {
        onError: (err: unknown) =>
          logger.warn({ err: { message: err instanceof Error ? err.message : String(err) } }, "JWKS fetch failed"),
      },
    });
    return verifier(header);
  };
}

/** An object created on first property access (a client whose address is known only later). */
function lazy<T extends object>(make: () => T): T {
  let real: T | undefined;
  return new Proxy({} as T, { get: (_target, prop) => Reflect.get((real ??= make()), prop) });
}
