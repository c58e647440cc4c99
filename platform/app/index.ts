import type { Logger } from "pino";
import { systemClock, type Clock } from "../clock/index.js";
import { loadRuntimeConfig, serviceUrl, type RuntimeConfig, type ServiceName } from "../config/runtime.js";
import { createIdGenerator, type IdGenerator } from "../ids/index.js";
import { createLogger } from "../log/index.js";
import { createMetrics, type Metrics } from "../metrics/index.js";
import type { Authenticator } from "../rpc/interceptors/auth.js";
import type { ServiceRegistration } from "../rpc/service.js";
import { startRpcServer, type ReadinessCheck, type RpcServer } from "../server/index.js";

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
  /** The base URL of another service (its configured URL, or this process in all-in-one). */
  serviceUrl(name: ServiceName): string;
}

/** A running service inside a process. */
export interface ServiceInstance {
  readonly services: readonly ServiceRegistration[];
  readonly readiness?: readonly ReadinessCheck[];
  /** Releases the service's resources (pools, subscriptions) after the server drained. */
  close?(): Promise<void>;
}

/** How a service plugs into the `boxoffice` program. Each services/<name>/index.ts exports one. */
export interface ServiceModule {
  readonly name: ServiceName;
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
  readonly config: RuntimeConfig;
  readonly logger: Logger;
  /** Drains the server, then closes every service. */
  stop(): Promise<{ clean: boolean }>;
}

/** Starts the given services in one process behind one port. */
export async function startProcess(opts: ProcessOptions): Promise<RunningProcess> {
  const env = opts.env ?? process.env;
  const config = loadRuntimeConfig(env);
  const names = opts.modules.map((m) => m.name);
  const logger = opts.logger ?? createLogger({ level: config.logLevel, base: { services: names.join(",") } });
  const clock = opts.clock ?? systemClock;
  const newId = createIdGenerator(clock);
  const metrics = createMetrics();
  let boundPort = config.port;

  const instances: ServiceInstance[] = [];
  const closeAll = async () => {
    for (const inst of instances.reverse()) await inst.close?.();
  };
  let server: RpcServer;
  try {
    for (const m of opts.modules) {
      instances.push(
        await m.create({
          name: m.name,
          config,
          env,
          logger: logger.child({ service: m.name }),
          clock,
          newId,
          metrics,
          serviceUrl: (name) => serviceUrl(config, name, boundPort),
        }),
      );
    }
    server = await startRpcServer({
      host: config.host,
      port: config.port,
      adminPort: config.adminPort,
      logger,
      metrics,
      newId,
      services: [...instances.flatMap((i) => i.services), ...(opts.extraServices ?? [])],
      authenticate: opts.authenticate,
      corsOrigins: config.corsOrigins,
      maxInflight: config.maxInflight,
      defaultDeadlineMs: config.defaultDeadlineMs,
      maxDeadlineMs: config.maxDeadlineMs,
      shutdownGraceMs: config.shutdownGraceMs,
      readMaxBytes: config.readMaxBytes,
      readiness: instances.flatMap((i) => i.readiness ?? []),
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
