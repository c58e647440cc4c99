/**
 * The payment service's own tables (platform tables come from platform/db/platform-schema.ts).
 * No relative imports: drizzle-kit loads this file with its own loader.
 */
import {
  bigint,
  customType,
  datetime,
  index,
  int,
  mysqlTable,
  text,
  uniqueIndex,
  varchar,
} from "drizzle-orm/mysql-core";

/** BINARY(32) as a Buffer: a SHA-256 request fingerprint. */
const sha256 = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => "binary(32)" });

const time = (name: string) => datetime(name, { mode: "date", fsp: 3 });

/**
 * One row per charge attempt of an order, inserted PENDING before the provider is called
 * (insert-then-act): the unique idempotency key makes concurrent duplicates find it instead of
 * charging again. `claimed_until` is the lease of whoever is talking to the provider about it.
 */
export const payments = mysqlTable(
  "payments",
  {
    id: varchar("id", { length: 36 }).primaryKey(),
    idempotencyKey: varchar("idempotency_key", { length: 64 }).notNull(),
    orderId: varchar("order_id", { length: 36 }).notNull(),
    userId: varchar("user_id", { length: 36 }).notNull(),
    currencyCode: varchar("currency_code", { length: 3 }).notNull(),
    amountMinor: bigint("amount_minor", { mode: "number" }).notNull(),
    /** PENDING, SUCCEEDED, FAILED, PARTIALLY_REFUNDED or REFUNDED. */
    state: varchar("state", { length: 24 }).notNull(),
    failureCode: varchar("failure_code", { length: 64 }).notNull().default(""),
    failureMessage: varchar("failure_message", { length: 300 }).notNull().default(""),
    provider: varchar("provider", { length: 32 }).notNull(),
    providerReference: varchar("provider_reference", { length: 128 }).notNull().default(""),
    /** Sum of succeeded refunds; always equals the ledger's REFUND entries. */
    refundedMinor: bigint("refunded_minor", { mode: "number" }).notNull().default(0),
    /** SHA-256 of the charge's parameters; NULL for a payment rebuilt from the provider's record. */
    requestFingerprint: sha256("request_fingerprint"),
    /** Aggregate version of the payment's events: 0 while PENDING, +1 per change. */
    version: int("version").notNull(),
    /** Provider calls made for the charge (attempts, take-overs). */
    attempts: int("attempts").notNull().default(0),
    claimedUntil: time("claimed_until").notNull(),
    lastAttemptTime: time("last_attempt_time").notNull(),
    /**
     * Until when a charge request of ours may still reach the provider: while it lies ahead, the
     * provider saying it has no charge under the key proves nothing (docs/payment.md, "Settling").
     */
    doubtUntil: time("doubt_until").notNull(),
    createTime: time("create_time").notNull(),
    updateTime: time("update_time").notNull(),
  },
  (t) => [
    uniqueIndex("payments_idempotency_key").on(t.idempotencyKey),
    uniqueIndex("payments_order").on(t.orderId),
    index("payments_user").on(t.userId, t.createTime, t.id),
    index("payments_pending").on(t.state, t.lastAttemptTime),
  ],
);

/** Refunds, each idempotent by its own key; PENDING ones count against what is left to refund. */
export const paymentRefunds = mysqlTable(
  "payment_refunds",
  {
    id: varchar("id", { length: 36 }).primaryKey(),
    paymentId: varchar("payment_id", { length: 36 }).notNull(),
    idempotencyKey: varchar("idempotency_key", { length: 64 }).notNull(),
    requestFingerprint: sha256("request_fingerprint").notNull(),
    currencyCode: varchar("currency_code", { length: 3 }).notNull(),
    amountMinor: bigint("amount_minor", { mode: "number" }).notNull(),
    reason: varchar("reason", { length: 200 }).notNull(),
    /** PENDING, SUCCEEDED or FAILED (the provider refused it). */
    state: varchar("state", { length: 16 }).notNull(),
    failureCode: varchar("failure_code", { length: 64 }).notNull().default(""),
    providerReference: varchar("provider_reference", { length: 128 }).notNull().default(""),
    attempts: int("attempts").notNull().default(0),
    claimedUntil: time("claimed_until").notNull(),
    createTime: time("create_time").notNull(),
    updateTime: time("update_time").notNull(),
  },
  (t) => [
    uniqueIndex("payment_refunds_idempotency_key").on(t.idempotencyKey),
    index("payment_refunds_payment").on(t.paymentId, t.state),
    index("payment_refunds_pending").on(t.state, t.claimedUntil),
  ],
);

/**
 * Money movements: one CHARGE entry when a payment is captured, one REFUND entry per succeeded
 * refund; amounts positive. `entry_key` ("charge:<payment>", "refund:<refund>") makes booking the
 * same movement twice impossible, whatever races.
 */
export const paymentLedgerEntries = mysqlTable(
  "payment_ledger_entries",
  {
    id: varchar("id", { length: 36 }).primaryKey(),
    entryKey: varchar("entry_key", { length: 80 }).notNull(),
    paymentId: varchar("payment_id", { length: 36 }).notNull(),
    /** CHARGE or REFUND. */
    kind: varchar("kind", { length: 8 }).notNull(),
    currencyCode: varchar("currency_code", { length: 3 }).notNull(),
    amountMinor: bigint("amount_minor", { mode: "number" }).notNull(),
    refundId: varchar("refund_id", { length: 36 }),
    providerReference: varchar("provider_reference", { length: 128 }).notNull(),
    createTime: time("create_time").notNull(),
  },
  (t) => [uniqueIndex("payment_ledger_entries_key").on(t.entryKey), index("payment_ledger_payment").on(t.paymentId)],
);

/**
 * The sandbox provider's own books (a stand-in for a card processor's side): charges by
 * idempotency key. The outcome is fixed when the charge is received; `settle_time` is when the
 * processor shows it (later than `create_time` for sandbox_slow), so nothing needs to run to
 * finish a slow charge and a restart loses nothing. Empty when a real processor is configured.
 */
export const sandboxCharges = mysqlTable(
  "sandbox_charges",
  {
    idempotencyKey: varchar("idempotency_key", { length: 255 }).primaryKey(),
    reference: varchar("reference", { length: 64 }).notNull(),
    requestFingerprint: sha256("request_fingerprint").notNull(),
    currencyCode: varchar("currency_code", { length: 3 }).notNull(),
    amountMinor: bigint("amount_minor", { mode: "number" }).notNull(),
    /** SUCCEEDED or DECLINED. */
    status: varchar("status", { length: 16 }).notNull(),
    failureCode: varchar("failure_code", { length: 64 }).notNull().default(""),
    description: varchar("description", { length: 500 }).notNull(),
    /** The charge's metadata as JSON text (a `json` column breaks drizzle-kit on MariaDB). */
    metadata: text("metadata").notNull(),
    settleTime: time("settle_time").notNull(),
    createTime: time("create_time").notNull(),
  },
  (t) => [uniqueIndex("sandbox_charges_reference").on(t.reference)],
);

/** The sandbox provider's refunds by idempotency key. */
export const sandboxRefunds = mysqlTable(
  "sandbox_refunds",
  {
    idempotencyKey: varchar("idempotency_key", { length: 255 }).primaryKey(),
    reference: varchar("reference", { length: 64 }).notNull(),
    requestFingerprint: sha256("request_fingerprint").notNull(),
    chargeReference: varchar("charge_reference", { length: 64 }).notNull(),
    currencyCode: varchar("currency_code", { length: 3 }).notNull(),
    amountMinor: bigint("amount_minor", { mode: "number" }).notNull(),
    createTime: time("create_time").notNull(),
  },
  (t) => [index("sandbox_refunds_charge").on(t.chargeReference)],
);
