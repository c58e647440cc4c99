/**
 * Tables every service has in its own database, owned by the platform. Each service's drizzle-kit
 * config lists this file beside its own schema, so these tables are created by the service's own
 * committed migrations. Change them only with a migration in every service.
 *
 * Kept free of relative imports: drizzle-kit loads schema files with its own loader.
 */
import {
  bigint,
  customType,
  datetime,
  index,
  int,
  mysqlTable,
  primaryKey,
  uniqueIndex,
  varchar,
} from "drizzle-orm/mysql-core";

/** MEDIUMBLOB (up to 16 MiB) as a Buffer: serialized protobuf messages. */
export const mediumblob = customType<{ data: Buffer; driverData: Buffer }>({
  dataType: () => "mediumblob",
});

/** BINARY(32) as a Buffer (drizzle's `binary` maps to string): a SHA-256 digest. */
export const sha256Column = customType<{ data: Buffer; driverData: Buffer }>({
  dataType: () => "binary(32)",
});

/**
 * VARCHAR of ASCII compared byte by byte (`ascii_bin`): identifiers whose case matters. The tables'
 * default collation (`utf8mb4_*_ci`) would make `abcDEF12` and `ABCdef12` one key.
 */
export const asciiBinary = customType<{ data: string; driverData: string; config: { length: number } }>({
  dataType: (c) => `varchar(${c?.length ?? 255}) CHARACTER SET ascii COLLATE ascii_bin`,
});

/**
 * AIP-155 request idempotency: the first response to (caller, method, request_id), written in the
 * same transaction as the effect. `request_hash` (HMAC-SHA-256 of the request under
 * BOXOFFICE_IDEMPOTENCY_SECRET: a record must not be a fast offline oracle for the passwords a
 * Register or ResetPassword carried) tells a repeat from a different request reusing the id.
 * Request ids compare case-sensitively.
 */
export const idempotencyRecords = mysqlTable(
  "idempotency_records",
  {
    caller: varchar("caller", { length: 128 }).notNull(),
    method: varchar("method", { length: 191 }).notNull(),
    requestId: asciiBinary("request_id", { length: 64 }).notNull(),
    requestHash: sha256Column("request_hash").notNull(),
    response: mediumblob("response"),
    createTime: datetime("create_time", { mode: "date", fsp: 3 }).notNull(),
    expireTime: datetime("expire_time", { mode: "date", fsp: 3 }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.caller, t.method, t.requestId] }),
    index("idempotency_records_expire").on(t.expireTime),
  ],
);

/**
 * Transactional outbox: integration events written in the transaction of the change that caused
 * them, published to JetStream by the service's relay. `seq` orders rows (and so the events of one
 * aggregate); `subject` is the full subject, prefix included.
 */
export const outboxEvents = mysqlTable(
  "outbox_events",
  {
    seq: bigint("seq", { mode: "number", unsigned: true }).autoincrement().primaryKey(),
    eventId: varchar("event_id", { length: 36 }).notNull(),
    subject: varchar("subject", { length: 255 }).notNull(),
    eventType: varchar("event_type", { length: 191 }).notNull(),
    aggregateType: varchar("aggregate_type", { length: 64 }).notNull(),
    aggregateId: varchar("aggregate_id", { length: 64 }).notNull(),
    aggregateVersion: bigint("aggregate_version", { mode: "number", unsigned: true }).notNull(),
    /** The serialized EventEnvelope. */
    envelope: mediumblob("envelope").notNull(),
    createTime: datetime("create_time", { mode: "date", fsp: 3 }).notNull(),
    /** Set when JetStream acknowledged the publish. */
    sendTime: datetime("send_time", { mode: "date", fsp: 3 }),
    /** Failed publish attempts so far, and the last failure. */
    attempts: int("attempts", { unsigned: true }).notNull().default(0),
    lastError: varchar("last_error", { length: 1000 }),
    /**
     * After a failed publish, the row (and its aggregate's later rows) waits until then; other
     * aggregates' rows go on, so one failing row cannot throttle the relay.
     */
    retryTime: datetime("retry_time", { mode: "date", fsp: 3 }),
  },
  (t) => [
    uniqueIndex("outbox_events_event_id").on(t.eventId),
    index("outbox_events_pending").on(t.sendTime, t.seq),
    index("outbox_events_aggregate").on(t.aggregateType, t.aggregateId, t.seq),
  ],
);

/**
 * The gap-free sequence of events published about each aggregate (the envelope's
 * `aggregate_sequence`): bumped in the transaction that writes the outbox row, under the row lock.
 */
export const outboxSequences = mysqlTable(
  "outbox_sequences",
  {
    aggregateType: varchar("aggregate_type", { length: 64 }).notNull(),
    aggregateId: varchar("aggregate_id", { length: 64 }).notNull(),
    lastSequence: bigint("last_sequence", { mode: "number", unsigned: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.aggregateType, t.aggregateId] })],
);

/** Inbox: events a consumer has applied, written in the transaction of the effect. */
export const inboxEvents = mysqlTable(
  "inbox_events",
  {
    consumer: varchar("consumer", { length: 128 }).notNull(),
    eventId: varchar("event_id", { length: 36 }).notNull(),
    processTime: datetime("process_time", { mode: "date", fsp: 3 }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.consumer, t.eventId] }), index("inbox_events_process_time").on(t.processTime)],
);

/**
 * Per consumer and aggregate: the newest aggregate version applied (latest-state consumers skip
 * older ones) and the last aggregate sequence applied or dead-lettered (every-fact consumers apply
 * the next one only).
 */
export const inboxAggregates = mysqlTable(
  "inbox_aggregates",
  {
    consumer: varchar("consumer", { length: 128 }).notNull(),
    aggregateType: varchar("aggregate_type", { length: 64 }).notNull(),
    aggregateId: varchar("aggregate_id", { length: 64 }).notNull(),
    version: bigint("version", { mode: "number", unsigned: true }).notNull(),
    sequence: bigint("sequence", { mode: "number", unsigned: true }).notNull().default(0),
    updateTime: datetime("update_time", { mode: "date", fsp: 3 }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.consumer, t.aggregateType, t.aggregateId] })],
);

/**
 * Failed attempts of a consumer's handler on one event, counted in their own transaction. Only the
 * handler's own errors count toward dead-lettering; deliveries spent while the database, the broker
 * or a downstream service was unavailable do not.
 */
export const consumerFailures = mysqlTable(
  "consumer_failures",
  {
    consumer: varchar("consumer", { length: 128 }).notNull(),
    eventId: varchar("event_id", { length: 36 }).notNull(),
    attempts: int("attempts", { unsigned: true }).notNull(),
    lastError: varchar("last_error", { length: 1000 }).notNull(),
    updateTime: datetime("update_time", { mode: "date", fsp: 3 }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.consumer, t.eventId] }), index("consumer_failures_update_time").on(t.updateTime)],
);
