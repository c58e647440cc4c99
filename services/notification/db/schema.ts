/**
 * The notification service's own tables (platform tables come from platform/db/platform-schema.ts).
 * No relative imports: drizzle-kit loads this file with its own loader.
 */
import { datetime, index, int, mediumtext, mysqlTable, uniqueIndex, varchar } from "drizzle-orm/mysql-core";

/**
 * One message to one user, created in the transaction of the consumer that handled its cause, then
 * delivered by the sender. States follow the proto's DeliveryState: PENDING → SENT or FAILED.
 *
 * The sender's lease lives in two columns: a claim sets `claim_token` (the id of the delivery
 * attempt) and moves `next_attempt_time` to the end of the lease, so a claimed row is not due for
 * anyone else until then; a sender that dies mid-attempt leaves a row that is due again when the
 * lease runs out. Finishing an attempt is conditional on the token still being ours.
 */
export const notifications = mysqlTable(
  "notifications",
  {
    id: varchar("id", { length: 36 }).primaryKey(),
    userId: varchar("user_id", { length: 36 }).notNull(),
    /** NotificationKind name without its prefix, e.g. ORDER_CONFIRMED */
    kind: varchar("kind", { length: 32 }).notNull(),
    /** Channel name without its prefix: EMAIL */
    channel: varchar("channel", { length: 16 }).notNull(),
    /** PENDING, SENT or FAILED */
    state: varchar("state", { length: 16 }).notNull(),
    /** the address; empty until the sender resolves it (the consumer may know it already) */
    recipient: varchar("recipient", { length: 254 }).notNull().default(""),
    recipientName: varchar("recipient_name", { length: 100 }).notNull().default(""),
    subject: varchar("subject", { length: 300 }).notNull(),
    /** JSON of the kind's payload (domain/kinds.ts), rendered at send time */
    payload: mediumtext("payload").notNull(),
    /** EventEnvelope.event_id of the integration event that caused it */
    sourceEventId: varchar("source_event_id", { length: 36 }).notNull(),
    /** one notification per key: a second enqueue of the same cause finds the first */
    dedupeKey: varchar("dedupe_key", { length: 191 }).notNull(),
    orderId: varchar("order_id", { length: 36 }).notNull().default(""),
    eventId: varchar("event_id", { length: 36 }).notNull().default(""),
    attempts: int("attempts").notNull().default(0),
    /** due time while PENDING (or the end of the current lease); null once SENT or FAILED */
    nextAttemptTime: datetime("next_attempt_time", { mode: "date", fsp: 3 }),
    /** the delivery id of the attempt in progress; null when none is */
    claimToken: varchar("claim_token", { length: 36 }),
    lastError: varchar("last_error", { length: 1000 }).notNull().default(""),
    createTime: datetime("create_time", { mode: "date", fsp: 3 }).notNull(),
    updateTime: datetime("update_time", { mode: "date", fsp: 3 }).notNull(),
    sendTime: datetime("send_time", { mode: "date", fsp: 3 }),
    /** W3C trace context of the work that queued it (the consumer's): the sender's attempts continue that trace */
    traceparent: varchar("traceparent", { length: 55 }).notNull().default(""),
    tracestate: varchar("tracestate", { length: 512 }).notNull().default(""),
  },
  (t) => [
    uniqueIndex("notifications_dedupe").on(t.dedupeKey),
    // the sender's claim: due PENDING rows, earliest first
    index("notifications_due").on(t.state, t.nextAttemptTime),
    // the oldest unsent notification (metrics)
    index("notifications_unsent").on(t.state, t.createTime),
    // ListNotifications: a user's, newest first
    index("notifications_user").on(t.userId, t.createTime, t.id),
  ],
);

/**
 * One row per delivery attempt, written when the attempt is claimed (IN_PROGRESS) and finished
 * with its outcome. An attempt whose sender died stays IN_PROGRESS until the next claim marks it
 * ABANDONED: the visible trace of the window in which a message may have gone out twice.
 */
export const deliveries = mysqlTable(
  "deliveries",
  {
    id: varchar("id", { length: 36 }).primaryKey(),
    notificationId: varchar("notification_id", { length: 36 }).notNull(),
    /** 1 for the first attempt */
    attempt: int("attempt").notNull(),
    channel: varchar("channel", { length: 16 }).notNull(),
    /** which sender made it (process instance) */
    instance: varchar("instance", { length: 64 }).notNull(),
    /** IN_PROGRESS, SENT, TEMPORARY_FAILURE, PERMANENT_FAILURE or ABANDONED */
    outcome: varchar("outcome", { length: 24 }).notNull(),
    /** the server's answer or the error, without secrets */
    detail: varchar("detail", { length: 1000 }).notNull().default(""),
    startTime: datetime("start_time", { mode: "date", fsp: 3 }).notNull(),
    endTime: datetime("end_time", { mode: "date", fsp: 3 }),
  },
  (t) => [uniqueIndex("deliveries_attempt").on(t.notificationId, t.attempt)],
);
