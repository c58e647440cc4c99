/**
 * The ticket service's orders and issued tickets (the inventory and holds are in schema.ts; the
 * platform tables in platform/db/platform-schema.ts). No relative imports: drizzle-kit loads this
 * file with its own loader.
 *
 * An order is made from one CONVERTED hold (its places stay with the hold rows); it keeps its own
 * copy of what was bought (order_lines) and what payment said (`payment_outcome`), so the
 * reconciliation sweeper knows which orders still have a charge whose outcome is unknown, whatever
 * state the order is in. Work that must survive a crash and is too large for one transaction — refunds
 * (a call to payment) and an event's cancellation or rescheduling (every order of the event) — is a
 * row here, done in batches by periodic jobs.
 */
import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  char,
  customType,
  datetime,
  index,
  int,
  mysqlTable,
  primaryKey,
  uniqueIndex,
  varchar,
} from "drizzle-orm/mysql-core";

/** Seat and row labels compare exactly ("a" ≠ "A"), as in the inventory. */
const label = customType<{ data: string; driverData: string }>({
  dataType: () => "varchar(8) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
});

const time = (name: string) => datetime(name, { mode: "date", fsp: 3 });

export const orders = mysqlTable(
  "orders",
  {
    id: varchar("id", { length: 36 }).primaryKey(),
    userId: varchar("user_id", { length: 36 }).notNull(),
    eventId: varchar("event_id", { length: 36 }).notNull(),
    /** One order per hold: a second Checkout of the same hold finds the hold CONVERTED. */
    holdId: varchar("hold_id", { length: 36 }).notNull(),
    /** PENDING_PAYMENT, CONFIRMED, FAILED or CANCELLED (domain/order.ts). */
    state: varchar("state", { length: 16 }).notNull(),
    quantity: int("quantity").notNull(),
    currencyCode: char("currency_code", { length: 3 }).notNull(),
    totalMinor: bigint("total_minor", { mode: "number" }).notNull(),
    paymentId: varchar("payment_id", { length: 36 }),
    /**
     * What payment said about the order's charge: NULL while unknown (a charge may be in flight or
     * its answer was lost: the reconciliation sweeper asks), SUCCEEDED, FAILED, or NONE (payment has
     * no charge for the order and none will be sent).
     */
    paymentOutcome: varchar("payment_outcome", { length: 16 }),
    paymentFailureCode: varchar("payment_failure_code", { length: 64 }).notNull().default(""),
    failureReason: varchar("failure_reason", { length: 64 }).notNull().default(""),
    cancelReason: varchar("cancel_reason", { length: 600 }).notNull().default(""),
    /** A payment succeeded after the order had FAILED or been CANCELLED: it is refunded. */
    latePayment: boolean("late_payment").notNull().default(false),
    /** The aggregate version of the order's events: +1 per state change. */
    version: int("version").notNull().default(1),
    createTime: time("create_time").notNull(),
    updateTime: time("update_time").notNull(),
    confirmTime: time("confirm_time"),
    cancelTime: time("cancel_time"),
    /** When the reconciliation sweeper next asks payment about an unknown outcome. */
    nextCheckTime: time("next_check_time").notNull(),
    /** The event's start time the holder was last told (confirmation or OrderRescheduled). */
    eventStartTime: time("event_start_time"),
    /** The event revision of that start time (EventUpdated.revision; 0 = as read at confirmation). */
    eventRevision: bigint("event_revision", { mode: "number" }).notNull().default(0),
  },
  (t) => [
    uniqueIndex("orders_hold").on(t.holdId),
    index("orders_user").on(t.userId, t.createTime, t.id),
    index("orders_event").on(t.eventId, t.state, t.id),
    index("orders_created").on(t.createTime, t.id),
    // the reconciliation sweeper: unknown outcomes due for a check
    index("orders_unsettled").on(t.paymentOutcome, t.nextCheckTime),
  ],
);

/** What an order bought: one line per seat, one per general-admission section. */
export const orderLines = mysqlTable(
  "order_lines",
  {
    orderId: varchar("order_id", { length: 36 }).notNull(),
    lineNo: int("line_no").notNull(),
    sectionId: varchar("section_id", { length: 36 }).notNull(),
    /** Empty for general admission. */
    rowLabel: label("row_label").notNull(),
    seatLabel: label("seat_label").notNull(),
    quantity: int("quantity").notNull(),
    unitPriceMinor: bigint("unit_price_minor", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.orderId, t.lineNo] })],
);

export const tickets = mysqlTable(
  "tickets",
  {
    id: varchar("id", { length: 36 }).primaryKey(),
    orderId: varchar("order_id", { length: 36 }).notNull(),
    eventId: varchar("event_id", { length: 36 }).notNull(),
    userId: varchar("user_id", { length: 36 }).notNull(),
    sectionId: varchar("section_id", { length: 36 }).notNull(),
    rowLabel: label("row_label").notNull(),
    seatLabel: label("seat_label").notNull(),
    /** VALID, CHECKED_IN or VOID. */
    state: varchar("state", { length: 16 }).notNull(),
    /** The signed check-in code (orders/ticket-keys.ts): kept, so a key rotation never changes it. */
    code: varchar("code", { length: 400 }).notNull(),
    /** The place the ticket admits to: a seat of the event, or one general admission. */
    placeKey: varchar("place_key", { length: 128 }).notNull(),
    /** The place while the ticket is not VOID: unique, so no place is in two live tickets. */
    livePlace: varchar("live_place", { length: 128 }).generatedAlwaysAs(sql`IF(state <> 'VOID', place_key, NULL)`, {
      mode: "stored",
    }),
    issueTime: time("issue_time").notNull(),
    checkInTime: time("check_in_time"),
    /** Who admitted it (the organiser's or admin's user id). */
    checkedInBy: varchar("checked_in_by", { length: 36 }),
    voidTime: time("void_time"),
  },
  (t) => [
    uniqueIndex("tickets_live_place").on(t.livePlace),
    index("tickets_order").on(t.orderId),
    index("tickets_user").on(t.userId, t.issueTime, t.id),
    index("tickets_event").on(t.eventId, t.sectionId, t.state),
  ],
);

/**
 * Refunds owed to buyers (a cancelled paid order, a payment that landed for a closed order): written
 * in the transaction that decided them, sent to payment by a job under a request id derived from
 * the order, so a crash or an outage only delays them.
 */
export const orderRefunds = mysqlTable(
  "order_refunds",
  {
    orderId: varchar("order_id", { length: 36 }).primaryKey(),
    paymentId: varchar("payment_id", { length: 36 }).notNull(),
    reason: varchar("reason", { length: 64 }).notNull(),
    /** PENDING until payment confirms the refund (or that nothing is left to refund): DONE. */
    state: varchar("state", { length: 16 }).notNull(),
    attempts: int("attempts").notNull().default(0),
    nextAttemptTime: time("next_attempt_time").notNull(),
    lastError: varchar("last_error", { length: 300 }).notNull().default(""),
    createTime: time("create_time").notNull(),
    doneTime: time("done_time"),
  },
  (t) => [index("order_refunds_due").on(t.state, t.nextAttemptTime)],
);

/**
 * Work over every order of an event, resumable after a crash: CANCEL (EventCancelled: cancel and
 * refund each order) and RESCHEDULE (EventUpdated moved the start: one OrderRescheduled per
 * CONFIRMED order). Progress is in the orders themselves (their state, their event_revision), so
 * a batch that ran twice changes nothing the second time.
 */
export const orderEventJobs = mysqlTable(
  "order_event_jobs",
  {
    eventId: varchar("event_id", { length: 36 }).notNull(),
    kind: varchar("kind", { length: 16 }).notNull(),
    /** The event's revision that asked for it (EventCancelled/EventUpdated aggregate version). */
    revision: bigint("revision", { mode: "number" }).notNull(),
    /** RUNNING or DONE. */
    state: varchar("state", { length: 16 }).notNull(),
    reason: varchar("reason", { length: 600 }).notNull().default(""),
    name: varchar("name", { length: 200 }).notNull().default(""),
    startTime: time("start_time"),
    endTime: time("end_time"),
    processed: int("processed").notNull().default(0),
    createTime: time("create_time").notNull(),
    doneTime: time("done_time"),
  },
  (t) => [primaryKey({ columns: [t.eventId, t.kind, t.revision] }), index("order_event_jobs_state").on(t.state)],
);
