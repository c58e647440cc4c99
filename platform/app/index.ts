import type { DescMessage, DescService } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { createTokenVerifier, ServiceIdentity } from "../auth/index.js";
import type { Outbox } from "../bus/outbox.js";
import { createServiceClient } from "../clients/index.js";
import { resilienceInterceptor } from "../clients/resilience.js";
import { type Clock, systemClock } from "../clock/index.js";
import { type InfraNames, infraNames } from "../config/names.js";
import { loadRuntimeConfig, type RuntimeConfig, type ServiceName, serviceUrl } from "../config/runtime.js";
import type { IdempotencyStore } from "../db/idempotency.js";
import type { Db } from "../db/index.js";
import { migrate } from "../db/migrate.js";
import { createIdGenerator, type IdGenerator } from "../ids/index.js";
import { createLogger, defaultAccessLog, parseAccessLog } from "../log/index.js";
import { createMetrics, type Metrics } from "../metrics/index.js";
import type { Authenticator } from "../rpc/interceptors/auth.js";
import { assertServesContracts, type ServiceContract, type ServiceRegistration } from "../rpc/service.js";
import { type HttpRoute, type ReadinessCheck, type RpcServer, startRpcServer } from "../server/index.js";
import { type ConsumerSpec, ProcessResources, type Stoppable } from "./resources.js";

/** What a service gets from the process that runs it. */
export interface ServiceContext {
  readonly name: ServiceName;
  readonly config: RuntimeConfig;
  /** The raw environment, for the service's own config spec. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly newId: IdGenerator;
  readonly metrics: Metrics;
  /** Aborted when the process starts draining: long-lived streams (Watch RPCs) end cleanly on it. */
  readonly drainSignal: AbortSignal;
  /** Names in shared infrastructure, under this process's prefix. */
  readonly names: InfraNames;
  /** The base URL of another service (its configured URL, or this process in all-in-one). */
  serviceUrl(name: ServiceName): string;
  /**
   * The service's own database (`<prefix>_<service>`), one pool per service, opened on first use,
   * checked by readiness and closed when the process stops.
   */
  database(): Db;
  /** The service's idempotency store (AIP-155) on its database, pruned hourly. */
  idempotency(): IdempotencyStore;
  /** The process's NATS connection (opened on first use, reconnects forever, drained at stop). */
  nats(): Promise<NatsConnection>;
  /**
   * The service's transactional outbox. The first call ensures the service's stream and starts its
   * relay, which flushes when the process stops.
   */
  outbox(): Promise<Outbox>;
  /** Stops `consumer` (letting in-flight work finish) before relays and pools close. */
  track(consumer: Stoppable): void;
  /**
   * A client for another service's RPCs at its configured URL, calling as this service: internal
   * RPCs get this service's token (its secret from BOXOFFICE_SERVICE_SECRETS), and every call the
   * resilience policy (timeout, retry on UNAVAILABLE when retry-safe, a breaker per target).
   */
  client<D extends DescService>(desc: D, target: ServiceName): Client<D>;
  /** Starts a durable consumer of one event type with inbox semantics on the service's database. */
  consume<D extends DescMessage>(spec: ConsumerSpec<D>): Promise<void>;
}

/** A running service inside a process. */
export interface ServiceInstance {
  readonly services: readonly ServiceRegistration[];
  /** Plain HTTP GET routes on the service port (the JWKS document). */
  readonly httpRoutes?: Readonly<Record<string, HttpRoute>>;
  /** Handles a service exposes to tests of the running process. */
  readonly internals?: Readonly<Record<string, unknown>>;
  readonly readiness?: readonly ReadinessCheck[];
  /** Releases the service's resources (pools, subscriptions) after the server drained. */
  close?(): Promise<void>;
}

/** How a service plugs into the `boxoffice` program. Each services/<name>/index.ts exports one. */
export interface ServiceModule {
  readonly name: ServiceName;
  /**
   * The service's contracts with their access declarations, known without starting it: tools render
   * mesh policies and ingress routes from them, and the process refuses to serve anything else.
   */
  readonly contracts: readonly ServiceContract[];
  /** The service's committed drizzle-kit migrations folder (absolute path). */
  readonly migrations: string;
  create(ctx: ServiceContext): Promise<ServiceInstance> | ServiceInstance;
}

export interface ProcessOptions {
  modules: readonly ServiceModule[];
  env?: Record<string, string | undefined>;
  /** Registered beside the modules' services (tests add their echo service here). */
  extraServices?: readonly ServiceRegistration[];
  authenticate?: Authenticator;
  clock?: Clock;
  logger?: Logger;
}

export interface RunningProcess {
  readonly server: RpcServer;
  /** Each service's instance, by name (tests reach `internals` through it). */
  readonly services: ReadonlyMap<string, ServiceInstance>;
  readonly config: RuntimeConfig;
  readonly logger: Logger;
  /** Drains the server, then closes every service. */
  stop(): Promise<{ clean: boolean }>;
}

/** Starts the given services in one process behind one port. */
export async function startProcess(opts: ProcessOptions): Promise<RunningProcess> {
  const env = opts.env ?? process.env;
  const config = loadRuntimeConfig(env);
  const serviceList = opts.modules.map((m) => m.name).join(",");
  const logger = opts.logger ?? createLogger({ level: config.logLevel, base: { services: serviceList } });
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
    instance: `${serviceList}-${process.pid}`,
  });
  const instances: ServiceInstance[] = [];
  const closeAll = async () => {
    for (const inst of instances.reverse()) await inst.close?.();
    await resources.close();
  };
  let server: RpcServer;
  try {
    for (const m of opts.modules) {
      const log = logger.child({ service: m.name });
      instances.push(
        await m.create({
          name: m.name,
          config,
          env,
          logger: log,
          clock,
          newId,
          metrics,
          names,
          drainSignal: drainController.signal,
          serviceUrl: (name) => serviceUrl(config, name, boundPort),
          database: () => resources.database(m.name, log),
          idempotency: () => resources.idempotency(m.name, log),
          nats: () => resources.nats(),
          outbox: () => resources.outbox(m.name, log),
          track: (c) => resources.track(c),
          consume: async (spec) => void (await resources.consume(m.name, log, spec)),
          client: (desc, target) =>
            // Built on first use: an all-in-one process on port 0 knows its own address only once it listens.
            lazy(() => {
              const identity = identityOf(m.name);
              return createServiceClient(desc, serviceUrl(config, target, boundPort), {
                interceptors: [resilienceInterceptor({ target }), ...(identity ? [identity.interceptor()] : [])],
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
      defaultDeadlineMs: config.defaultDeadlineMs,
      maxDeadlineMs: config.maxDeadlineMs,
      shutdownGraceMs: config.shutdownGraceMs,
      readMaxBytes: config.readMaxBytes,
      readiness: [...resources.readiness(), ...instances.flatMap((i) => i.readiness ?? [])],
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
  const config = loadRuntimeConfig(env);
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
