import { z } from "zod";
import { isAccessLog, logLevels } from "../log/index.js";
import { type ConfigOf, envTypes, envVar, loadConfig } from "./index.js";

/** Every service a process can run, in start order. One name everywhere (folder, proto package, Deployment, database). */
export const serviceNames = ["auth", "event", "ticket", "payment", "notification"] as const;
export type ServiceName = (typeof serviceNames)[number];

/** The runtime's variables (services add their own specs). */
export const runtimeSpec = {
  env: envVar(
    "BOXOFFICE_ENV",
    envTypes.enumOf(["development", "production"], "development"),
    "production refuses to start without persistent keys and secrets or with a wildcard CORS origin (the manifests set it); development generates what is missing",
  ),
  host: envVar("BOXOFFICE_HOST", envTypes.string("0.0.0.0"), "address the RPC and admin ports bind to"),
  port: envVar("BOXOFFICE_PORT", envTypes.port(8080), "the one port for gRPC, Connect and gRPC-Web"),
  adminPort: envVar("BOXOFFICE_ADMIN_PORT", envTypes.port(9090), "admin port: /metrics, /healthz, /readyz"),
  logLevel: envVar("BOXOFFICE_LOG_LEVEL", envTypes.enumOf(logLevels, "info"), "pino log level"),
  accessLog: envVar(
    "BOXOFFICE_ACCESS_LOG",
    z
      .string()
      .optional()
      .refine((v) => v === undefined || isAccessLog(v), "use all, errors or sample:<ratio between 0 and 1>"),
    "which finished calls get an access-log line: all (default), errors (default when BOXOFFICE_ENV=production) or sample:<ratio> (errors and that share of the rest); metrics count every call",
  ),
  trustedProxyHops: envVar(
    "BOXOFFICE_TRUSTED_PROXY_HOPS",
    z.coerce.number().int().min(0).max(5).default(0),
    "x-forwarded-for entries written by our own proxies (1 behind the ingress gateway; 0 ignores the header)",
  ),
  corsOrigins: envVar(
    "BOXOFFICE_CORS_ORIGINS",
    envTypes.list("*"),
    "comma-separated origins browsers may call from, or * (development only)",
    {
      refuse: (origins) =>
        origins.length === 0 || origins.includes("*")
          ? "production needs the storefront's origins, not a wildcard (any web page could call with a signed-in user's token)"
          : undefined,
    },
  ),
  maxInflight: envVar(
    "BOXOFFICE_MAX_INFLIGHT",
    envTypes.positiveInt(128),
    "the unary bound: unary calls in progress at which critical calls get RESOURCE_EXHAUSTED; normal ones are refused from 80 % of it, sheddable ones from 50 %, internal ones at 200 % (streams do not count)",
  ),
  maxStreams: envVar(
    "BOXOFFICE_MAX_STREAMS",
    envTypes.positiveInt(4096),
    "WatchOrder and WatchAvailability streams open at once (they take no unary slot); more get RESOURCE_EXHAUSTED",
  ),
  maxStreamsPerConnection: envVar(
    "BOXOFFICE_MAX_STREAMS_PER_CONNECTION",
    envTypes.positiveInt(1024),
    "the same, per connection (behind the ingress gateway many users share one)",
  ),
  maxControlStreams: envVar(
    "BOXOFFICE_MAX_CONTROL_STREAMS",
    envTypes.positiveInt(1000),
    "Health.Watch and reflection streams open at once (they are exempt from load shedding); more get RESOURCE_EXHAUSTED",
  ),
  maxControlStreamsPerConnection: envVar(
    "BOXOFFICE_MAX_CONTROL_STREAMS_PER_CONNECTION",
    envTypes.positiveInt(16),
    "the same, per connection",
  ),
  defaultDeadlineMs: envVar(
    "BOXOFFICE_DEFAULT_DEADLINE_MS",
    envTypes.positiveInt(15_000),
    "deadline for unary calls that bring none",
  ),
  maxDeadlineMs: envVar(
    "BOXOFFICE_MAX_DEADLINE_MS",
    envTypes.positiveInt(300_000),
    "longest deadline a client may ask for",
  ),
  shutdownGraceMs: envVar(
    "BOXOFFICE_SHUTDOWN_GRACE_MS",
    envTypes.positiveInt(20_000),
    "how long SIGTERM waits for calls in progress",
  ),
  readMaxBytes: envVar(
    "BOXOFFICE_READ_MAX_BYTES",
    envTypes.positiveInt(8 * 1024 * 1024),
    "largest accepted request message, bytes",
  ),
  firstByteTimeoutMs: envVar(
    "BOXOFFICE_FIRST_BYTE_TIMEOUT_MS",
    envTypes.positiveInt(10_000),
    "a new connection that sends nothing for this long is closed",
  ),
  headersTimeoutMs: envVar(
    "BOXOFFICE_HEADERS_TIMEOUT_MS",
    envTypes.positiveInt(20_000),
    "HTTP/1.1: time allowed for a request's headers to arrive (408 after)",
  ),
  requestTimeoutMs: envVar(
    "BOXOFFICE_REQUEST_TIMEOUT_MS",
    envTypes.positiveInt(60_000),
    "HTTP/1.1: time allowed for a whole request, headers and body, to arrive (408 after)",
  ),
  idleTimeoutMs: envVar(
    "BOXOFFICE_IDLE_TIMEOUT_MS",
    envTypes.positiveInt(65_000),
    "a connection with no call in progress and no traffic for this long is closed (above the ingress's 60 s)",
  ),
  maxConnections: envVar(
    "BOXOFFICE_MAX_CONNECTIONS",
    envTypes.positiveInt(10_000),
    "open connections on the RPC port above which new ones are closed at once",
  ),
  prefix: envVar(
    "BOXOFFICE_PREFIX",
    envTypes
      .string("boxoffice")
      .pipe(
        z
          .string()
          .regex(/^[a-z][a-z0-9_]{0,23}$/, "lower-case letters, digits and _, starting with a letter, at most 24"),
      ),
    "prefix of every name in shared infrastructure: databases, streams, subjects, consumers, Redis keys and channels",
  ),
  mariadbUrl: envVar(
    "BOXOFFICE_MARIADB_URL",
    envTypes.string("mysql://root@127.0.0.1:3306").pipe(z.url()),
    "MariaDB server (no database in the path)",
  ),
  redisUrl: envVar(
    "BOXOFFICE_REDIS_URL",
    envTypes.string("redis://127.0.0.1:6379").pipe(z.url()),
    "Redis server (the cache)",
  ),
  natsUrl: envVar(
    "BOXOFFICE_NATS_URL",
    envTypes.string("nats://127.0.0.1:4222").pipe(z.url()),
    "NATS server with JetStream",
  ),
  natsReplicas: envVar(
    "BOXOFFICE_NATS_REPLICAS",
    envTypes.positiveInt(1),
    "replicas of each JetStream stream (1 locally, 3 in a cluster)",
  ),
  streamMaxAgeHours: envVar(
    "BOXOFFICE_STREAM_MAX_AGE_HOURS",
    envTypes.positiveInt(168),
    "how long streams keep events",
  ),
  duplicateWindowSeconds: envVar(
    "BOXOFFICE_DUPLICATE_WINDOW_SECONDS",
    envTypes.positiveInt(120),
    "JetStream duplicate window: a republished event id inside it is dropped",
  ),
  dbPoolSize: envVar("BOXOFFICE_DB_POOL_SIZE", envTypes.positiveInt(10), "connections per service database pool"),
  idempotencyRetentionHours: envVar(
    "BOXOFFICE_IDEMPOTENCY_RETENTION_HOURS",
    envTypes.positiveInt(24),
    "how long a request_id's response is kept for replay",
  ),
  jwtIssuer: envVar(
    "BOXOFFICE_JWT_ISSUER",
    envTypes.string("boxoffice-auth"),
    "iss of access and service tokens (signed by auth, checked everywhere)",
  ),
  jwtAudience: envVar("BOXOFFICE_JWT_AUDIENCE", envTypes.string("boxoffice"), "aud of access and service tokens"),
  jwksUrl: envVar(
    "BOXOFFICE_JWKS_URL",
    envTypes.url(),
    "where token verification fetches the JWKS (default: the auth service's /.well-known/jwks.json)",
  ),
  serviceSecrets: envVar(
    "BOXOFFICE_SERVICE_SECRETS",
    envTypes.list("").pipe(
      z
        .array(z.string().regex(/^[a-z]+=.{16,}$/, "entries look like name=secret, secrets of 16+ characters"))
        // a null-prototype object: a caller naming "constructor" or "__proto__" finds nothing
        .transform(
          (l): Readonly<Record<string, string>> =>
            Object.assign(
              Object.create(null) as Record<string, string>,
              Object.fromEntries(l.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)])),
            ),
        ),
    ),
    "service=secret pairs: auth checks them in IssueServiceToken; every service uses its own to call internal RPCs (secret)",
    // auth checks every caller's; a caller of internal RPCs holds its own (as the manifests give them).
    { required: (s) => s.name === "auth" || s.callsInternalRpcs },
  ),
  pageTokenSecret: envVar(
    "BOXOFFICE_PAGE_TOKEN_SECRET",
    z.string().min(16).optional(),
    "HMAC key of list page tokens, shared by replicas (secret; unset = a key for this process only)",
    { required: (s) => s.pagesLists },
  ),
  idempotencySecret: envVar(
    "BOXOFFICE_IDEMPOTENCY_SECRET",
    z.string().min(16, "at least 16 characters").optional(),
    "HMAC key of the request hashes in idempotency records, shared by replicas (secret; unset = a fixed development key)",
    { required: (s) => s.takesRequestIds },
  ),
  authUrl: envVar("BOXOFFICE_AUTH_URL", envTypes.url(), "base URL of the auth service (default: this process)"),
  eventUrl: envVar("BOXOFFICE_EVENT_URL", envTypes.url(), "base URL of the event service (default: this process)"),
  ticketUrl: envVar("BOXOFFICE_TICKET_URL", envTypes.url(), "base URL of the ticket service (default: this process)"),
  paymentUrl: envVar(
    "BOXOFFICE_PAYMENT_URL",
    envTypes.url(),
    "base URL of the payment service (default: this process)",
  ),
  otlpEndpoint: envVar(
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    envTypes.url(),
    "OpenTelemetry collector (OTLP/HTTP) base URL: spans go to <url>/v1/traces as JSON; unset, no span is recorded (W3C/B3 trace headers and x-request-id are still forwarded)",
  ),
  traceSampleRatio: envVar(
    "BOXOFFICE_TRACE_SAMPLE_RATIO",
    z.coerce.number().min(0).max(1).default(1),
    "share of traces started in this process that are recorded (a caller's sampling decision is followed); only with OTEL_EXPORTER_OTLP_ENDPOINT",
  ),
  notificationUrl: envVar(
    "BOXOFFICE_NOTIFICATION_URL",
    envTypes.url(),
    "base URL of the notification service (default: this process)",
  ),
};

export type RuntimeConfig = ConfigOf<typeof runtimeSpec>;

/** Reads the runtime configuration from the environment. */
export function loadRuntimeConfig(env: Record<string, string | undefined> = process.env): RuntimeConfig {
  return loadConfig(runtimeSpec, env);
}

/** Where service `name` is reached: its configured URL, else loopback on this process's port (all-in-one). */
export function serviceUrl(cfg: RuntimeConfig, name: ServiceName, boundPort = cfg.port): string {
  return cfg[`${name}Url`] ?? `http://127.0.0.1:${boundPort}`;
}

/** Parses a `--services` value: `all` or a comma-separated subset, checked against the known names. */
export function parseServiceList(value: string): ServiceName[] {
  if (value.trim() === "all") return [...serviceNames];
  const names = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const unknown = names.filter((n) => !(serviceNames as readonly string[]).includes(n));
  if (unknown.length > 0 || names.length === 0) {
    throw new Error(
      `--services: unknown service ${unknown.join(", ") || "(none given)"}; use "all" or some of ${serviceNames.join(", ")}`,
    );
  }
  return serviceNames.filter((n) => names.includes(n));
}
