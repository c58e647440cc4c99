import type { DescMessage, DescService } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import type { Logger } from "pino";
import type { ConsumedEvent, ConsumerOptions } from "../bus/consumer.js";
import type { EventType } from "../bus/events.js";
import type { Clock } from "../clock/index.js";
import type { CommandPipeline, WriteScope } from "../commands/index.js";
import type { ConfigOf, ConfigSpec } from "../config/index.js";
import type { InfraNames } from "../config/names.js";
import type { RuntimeConfig, ServiceName } from "../config/runtime.js";
import type { Db } from "../db/index.js";
import type { IdGenerator } from "../ids/index.js";
import type { PeriodicJob, PeriodicJobSpec } from "../jobs/index.js";
import type { Metrics } from "../metrics/index.js";
import type { RedisConnections } from "../redis/index.js";
import type { ServiceContract, ServiceRegistration } from "../rpc/service.js";
import type { HttpRoute, ReadinessCheck } from "../server/index.js";
import type { Tracing } from "../tracing/index.js";

/**
 * A durable consumer of one event type, as a service declares it. The handler runs in the inbox
 * transaction: what it writes with `scope.tx`, the events it emits and its after-commit hooks
 * commit with the inbox row or not at all; `scope.principal` is the consuming service. To apply a
 * use-case's rules, call the command with `{ within: scope }`.
 */
export type ConsumerSpec<D extends DescMessage> = Pick<
  ConsumerOptions<D>,
  | "name"
  | "type"
  | "kind"
  | "sequenceGroup"
  | "maxDeliver"
  | "backoffMs"
  | "maxAckPending"
  | "ackWaitMs"
  | "concurrency"
> & {
  handle(event: ConsumedEvent<D>, scope: WriteScope): Promise<void>;
};

/** What a service gets from the process that runs it. `S` is its own settings (`ServiceModule.config`). */
export interface ServiceContext<S = Record<string, unknown>> {
  readonly name: ServiceName;
  /** The runtime's configuration (ports, URLs, secrets shared by every service). */
  readonly config: RuntimeConfig;
  /** The service's own settings, parsed from its `ServiceModule.config` spec at start. */
  readonly settings: S;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly newId: IdGenerator;
  readonly metrics: Metrics;
  /** Aborted when the process starts draining: long-lived streams (Watch RPCs) end cleanly on it. */
  readonly drainSignal: AbortSignal;
  /** Names in shared infrastructure, under this process's prefix. */
  readonly names: InfraNames;
  /**
   * The process's tracing. RPCs, `client()` calls, emitted and consumed events are traced by the
   * platform; a service uses it only to carry a trace across its own queue (store
   * `tracing.fields()` with the work, continue with `tracing.continueFrom()` when doing it).
   */
  readonly tracing: Tracing;
  /**
   * The service's own database (`<prefix>_<service>`), one pool per service, opened on first use,
   * checked by readiness and closed when the process stops. Reads go straight to it; writes go
   * through {@link commands}.
   */
  database(): Db;
  /** The process's Redis connections (one set per process, opened on first use, closed at stop). */
  redis(): RedisConnections;
  /**
   * The service's command pipeline: transaction, idempotency records, outbox (for the types in
   * `ServiceModule.publishes`) and after-commit hooks. Use-cases get it in their deps.
   */
  commands(): CommandPipeline;
  /**
   * A client for another service's RPCs at its configured URL, calling as this service: internal
   * RPCs get this service's token (its secret from BOXOFFICE_SERVICE_SECRETS), and every call the
   * resilience policy (timeout, retry on UNAVAILABLE when retry-safe, a breaker per target).
   */
  client<D extends DescService>(desc: D, target: ServiceName): Client<D>;
  /**
   * Starts a durable consumer of one event type with inbox semantics on the service's database,
   * handled through the pipeline (see {@link ConsumerSpec}); stopped, in-flight work finished,
   * when the process stops.
   */
  consume<D extends DescMessage>(spec: ConsumerSpec<D>): Promise<void>;
  /** Starts background work every so often (a sweeper, a pruner); stopped when the process stops. */
  every(spec: PeriodicJobSpec): PeriodicJob;
}

/** A running service inside a process. */
export interface ServiceInstance {
  readonly services: readonly ServiceRegistration[];
  /** Plain HTTP GET routes on the service port (the JWKS document). */
  readonly httpRoutes?: Readonly<Record<string, HttpRoute>>;
  /** Handles a service exposes to tests of the running process. */
  readonly internals?: Readonly<Record<string, unknown>>;
  readonly readiness?: readonly ReadinessCheck[];
  /** Releases what the service made itself, after its consumers and jobs stopped. */
  close?(): Promise<void>;
}

/** How a service plugs into the `boxoffice` program. Each services/<name>/index.ts exports one. */
export interface ServiceModule<S extends ConfigSpec = ConfigSpec> {
  readonly name: ServiceName;
  /**
   * The service's contracts with their access declarations, known without starting it: tools render
   * mesh policies and ingress routes from them, and the process refuses to serve anything else.
   */
  readonly contracts: readonly ServiceContract[];
  /** The service's committed drizzle-kit migrations folder (absolute path). */
  readonly migrations: string;
  /**
   * The service's own environment variables: validated at start together with the runtime's (one
   * error naming every bad variable), listed by `boxoffice config`, parsed into `ctx.settings`.
   */
  readonly config?: S;
  /**
   * The integration events the service publishes. When non-empty, the process ensures the
   * service's stream and starts its outbox relay before `create` (rows left by a crash are
   * published without waiting for a new write); the pipeline refuses to emit any other type.
   */
  readonly publishes?: readonly EventType[];
  create(ctx: ServiceContext<ConfigOf<S>>): Promise<ServiceInstance> | ServiceInstance;
}

/** Declares a service module with its settings typed from its config spec. */
export function serviceModule<S extends ConfigSpec = Record<never, never>>(m: ServiceModule<S>): ServiceModule<S> {
  return m;
}
