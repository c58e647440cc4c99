/**
 * The payment service's data access: rows in, domain records out (services/payment/domain). Every
 * function takes a Tx or the database handle and opens no transaction of its own: writes run in the
 * command pipeline's transactions (`deps.commands.transaction`), reads on the pool.
 */
import { and, asc, desc, eq, inArray, lt, lte, or, sql } from "drizzle-orm";
import type { MySql2Database } from "drizzle-orm/mysql2";
import type { Tx } from "../../../platform/db/index.js";
import type { LedgerEntry } from "../domain/ledger.js";
import { type Payment, type PaymentState, paymentStates } from "../domain/payment.js";
import type { Refund, RefundState } from "../domain/refund.js";
import { paymentLedgerEntries, paymentRefunds, payments } from "./schema.js";

type Q = Tx | MySql2Database;
type PaymentRow = typeof payments.$inferSelect;
type RefundRow = typeof paymentRefunds.$inferSelect;

/** A payment with the columns only the operations need. */
export interface StoredPayment extends Payment {
  /** NULL for a payment rebuilt from the provider's record (its request is not known). */
  requestFingerprint: Buffer | null;
  /** Leases taken so far; also the token of the current lease (a holder releases only its own). */
  attempts: number;
  claimedUntil: Date;
  lastAttemptTime: Date;
  /** Until when a request of ours may still reach the provider (domain/doubt.ts). */
  doubtUntil: Date;
}

export interface StoredRefund extends Refund {
  requestFingerprint: Buffer;
  attempts: number;
  claimedUntil: Date;
}

function toPayment(r: PaymentRow): StoredPayment {
  if (!(paymentStates as readonly string[]).includes(r.state)) throw new Error(`payment ${r.id}: state ${r.state}`);
  return {
    id: r.id,
    idempotencyKey: r.idempotencyKey,
    orderId: r.orderId,
    userId: r.userId,
    amount: { currencyCode: r.currencyCode, amountMinor: r.amountMinor },
    state: r.state as PaymentState,
    failureCode: r.failureCode,
    failureMessage: r.failureMessage,
    provider: r.provider,
    providerReference: r.providerReference,
    refundedMinor: r.refundedMinor,
    version: r.version,
    createTime: r.createTime,
    updateTime: r.updateTime,
    requestFingerprint: r.requestFingerprint === null ? null : Buffer.from(r.requestFingerprint),
    attempts: r.attempts,
    claimedUntil: r.claimedUntil,
    lastAttemptTime: r.lastAttemptTime,
    doubtUntil: r.doubtUntil,
  };
}

function toRefund(r: RefundRow): StoredRefund {
  return { ...r, state: r.state as RefundState, requestFingerprint: Buffer.from(r.requestFingerprint) };
}

// ---------- payments ----------

/** Inserts a payment; throws a duplicate-key error when its key or order already has one. */
export async function insertPayment(q: Q, p: StoredPayment): Promise<void> {
  await q.insert(payments).values({
    id: p.id,
    idempotencyKey: p.idempotencyKey,
    orderId: p.orderId,
    userId: p.userId,
    currencyCode: p.amount.currencyCode,
    amountMinor: p.amount.amountMinor,
    state: p.state,
    failureCode: p.failureCode,
    failureMessage: p.failureMessage,
    provider: p.provider,
    providerReference: p.providerReference,
    refundedMinor: p.refundedMinor,
    requestFingerprint: p.requestFingerprint,
    version: p.version,
    attempts: p.attempts,
    claimedUntil: p.claimedUntil,
    lastAttemptTime: p.lastAttemptTime,
    doubtUntil: p.doubtUntil,
    createTime: p.createTime,
    updateTime: p.updateTime,
  });
}

async function onePayment(q: Q, where: ReturnType<typeof eq>, forUpdate: boolean) {
  const query = q.select().from(payments).where(where);
  const [row] = forUpdate ? await query.for("update") : await query;
  return row === undefined ? undefined : toPayment(row);
}

export const loadPayment = (q: Q, id: string, forUpdate = false) => onePayment(q, eq(payments.id, id), forUpdate);
export const loadPaymentByKey = (q: Q, key: string, forUpdate = false) =>
  onePayment(q, eq(payments.idempotencyKey, key), forUpdate);
export const loadPaymentByOrder = (q: Q, orderId: string, forUpdate = false) =>
  onePayment(q, eq(payments.orderId, orderId), forUpdate);

/**
 * Takes the lease of a PENDING payment whose lease has run out: the caller alone talks to the
 * provider about it until `until`. `attemptsSeen` is the lease count the caller read; the claim
 * makes it `attemptsSeen + 1`, the new lease's token. False when it is settled, held, or was
 * claimed by someone else since it was read.
 */
export async function claimPayment(q: Q, id: string, attemptsSeen: number, now: Date, until: Date): Promise<boolean> {
  const [res] = await q
    .update(payments)
    .set({ claimedUntil: until, lastAttemptTime: now, attempts: attemptsSeen + 1 })
    .where(
      and(
        eq(payments.id, id),
        eq(payments.state, "PENDING"),
        lte(payments.claimedUntil, now),
        eq(payments.attempts, attemptsSeen),
      ),
    );
  return res.affectedRows === 1;
}

/** Records, before a charge is sent under lease `attempts`, until when it may still reach the provider. */
export async function markSending(q: Q, id: string, attempts: number, doubtUntil: Date): Promise<boolean> {
  const [res] = await q
    .update(payments)
    .set({ doubtUntil })
    .where(and(eq(payments.id, id), eq(payments.state, "PENDING"), eq(payments.attempts, attempts)));
  return res.affectedRows === 1;
}

/**
 * Gives lease `attempts` back early (the next caller or sweep may take over at once), with what the
 * attempt taught about the doubt window. Does nothing when the lease is no longer ours.
 */
export async function releasePayment(q: Q, id: string, attempts: number, at: Date, doubtUntil?: Date): Promise<void> {
  await q
    .update(payments)
    .set(doubtUntil === undefined ? { claimedUntil: at } : { claimedUntil: at, doubtUntil })
    .where(and(eq(payments.id, id), eq(payments.state, "PENDING"), eq(payments.attempts, attempts)));
}

/** Writes a changed payment; `p.version` is the new version and the row must still be at the one before. */
export async function savePayment(tx: Tx, p: Payment, previousVersion: number): Promise<void> {
  if (!(await savePaymentIf(tx, p, previousVersion))) throw new Error(`payment ${p.id} changed under a locked update`);
}

/**
 * The same update as a compare-and-set on `previousVersion`, without a lock taken first: false when
 * the payment is no longer at that version (nothing written). The update itself locks the row.
 */
export async function savePaymentIf(tx: Tx, p: Payment, previousVersion: number): Promise<boolean> {
  const [res] = await tx
    .update(payments)
    .set({
      state: p.state,
      failureCode: p.failureCode,
      failureMessage: p.failureMessage,
      providerReference: p.providerReference,
      refundedMinor: p.refundedMinor,
      version: p.version,
      updateTime: p.updateTime,
    })
    .where(and(eq(payments.id, p.id), eq(payments.version, previousVersion)));
  return res.affectedRows === 1;
}

/** PENDING payments nobody holds whose last attempt is older than `attemptBefore`, oldest first. */
export async function unsettledPayments(q: Q, now: Date, attemptBefore: Date, limit: number): Promise<StoredPayment[]> {
  const rows = await q
    .select()
    .from(payments)
    .where(
      and(eq(payments.state, "PENDING"), lt(payments.lastAttemptTime, attemptBefore), lte(payments.claimedUntil, now)),
    )
    .orderBy(asc(payments.lastAttemptTime))
    .limit(limit);
  return rows.map(toPayment);
}

/** Payments newest first after the (createTime, id) cursor: a user's (unset: everyone's), optionally one order's. */
export async function listPayments(
  q: Q,
  f: { userId?: string; orderId?: string; before?: { createTime: Date; id: string }; limit: number },
): Promise<StoredPayment[]> {
  const where = [];
  if (f.userId !== undefined) where.push(eq(payments.userId, f.userId));
  if (f.orderId !== undefined) where.push(eq(payments.orderId, f.orderId));
  if (f.before !== undefined)
    where.push(
      or(
        lt(payments.createTime, f.before.createTime),
        and(eq(payments.createTime, f.before.createTime), lt(payments.id, f.before.id)),
      )!,
    );
  const rows = await q
    .select()
    .from(payments)
    .where(and(...where))
    .orderBy(desc(payments.createTime), desc(payments.id))
    .limit(f.limit);
  return rows.map(toPayment);
}

// ---------- ledger ----------

export async function insertLedgerEntry(
  tx: Tx,
  e: LedgerEntry & { id: string; paymentId: string; providerReference: string; createTime: Date },
): Promise<void> {
  const entryKey = e.kind === "CHARGE" ? `charge:${e.paymentId}` : `refund:${e.refundId}`;
  await tx.insert(paymentLedgerEntries).values({ ...e, entryKey, refundId: e.refundId ?? null });
}

export async function ledgerEntries(q: Q, paymentId: string): Promise<LedgerEntry[]> {
  return q
    .select({
      kind: paymentLedgerEntries.kind,
      currencyCode: paymentLedgerEntries.currencyCode,
      amountMinor: paymentLedgerEntries.amountMinor,
      refundId: paymentLedgerEntries.refundId,
    })
    .from(paymentLedgerEntries)
    .where(eq(paymentLedgerEntries.paymentId, paymentId))
    .orderBy(asc(paymentLedgerEntries.createTime), asc(paymentLedgerEntries.id)) as Promise<LedgerEntry[]>;
}

// ---------- refunds ----------

export async function insertRefund(tx: Tx, r: StoredRefund): Promise<void> {
  await tx.insert(paymentRefunds).values(r);
}

export async function loadRefundByKey(q: Q, key: string, forUpdate = false): Promise<StoredRefund | undefined> {
  const query = q.select().from(paymentRefunds).where(eq(paymentRefunds.idempotencyKey, key));
  const [row] = forUpdate ? await query.for("update") : await query;
  return row === undefined ? undefined : toRefund(row);
}

/** A payment's refunds, oldest first. */
export async function refundsOf(q: Q, paymentId: string): Promise<StoredRefund[]> {
  return (await refundsOfPayments(q, [paymentId])).get(paymentId) ?? [];
}

/** The refunds of several payments (a page of them), oldest first, by payment id. */
export async function refundsOfPayments(q: Q, paymentIds: readonly string[]): Promise<Map<string, StoredRefund[]>> {
  const out = new Map<string, StoredRefund[]>();
  if (paymentIds.length === 0) return out;
  const rows = await q
    .select()
    .from(paymentRefunds)
    .where(inArray(paymentRefunds.paymentId, [...paymentIds]))
    .orderBy(asc(paymentRefunds.createTime), asc(paymentRefunds.id));
  for (const r of rows) out.set(r.paymentId, [...(out.get(r.paymentId) ?? []), toRefund(r)]);
  return out;
}

/** The sum of a payment's refunds still in flight (PENDING). */
export async function inFlightRefundMinor(tx: Tx, paymentId: string): Promise<number> {
  const [row] = await tx
    .select({ sum: sql<string | null>`SUM(${paymentRefunds.amountMinor})` })
    .from(paymentRefunds)
    .where(and(eq(paymentRefunds.paymentId, paymentId), eq(paymentRefunds.state, "PENDING")));
  return Number(row?.sum ?? 0);
}

/** Takes the lease of a PENDING refund whose lease has run out (as {@link claimPayment}). */
export async function claimRefund(q: Q, id: string, attemptsSeen: number, now: Date, until: Date): Promise<boolean> {
  const [res] = await q
    .update(paymentRefunds)
    .set({ claimedUntil: until, attempts: attemptsSeen + 1 })
    .where(
      and(
        eq(paymentRefunds.id, id),
        eq(paymentRefunds.state, "PENDING"),
        lte(paymentRefunds.claimedUntil, now),
        eq(paymentRefunds.attempts, attemptsSeen),
      ),
    );
  return res.affectedRows === 1;
}

/** PENDING refunds nobody has held for `idleMs` (their answer was lost, or their caller died). */
export async function unsettledRefunds(q: Q, idleSince: Date, limit: number): Promise<StoredRefund[]> {
  const rows = await q
    .select()
    .from(paymentRefunds)
    .where(and(eq(paymentRefunds.state, "PENDING"), lte(paymentRefunds.claimedUntil, idleSince)))
    .orderBy(asc(paymentRefunds.claimedUntil))
    .limit(limit);
  return rows.map(toRefund);
}

/** Gives lease `attempts` of a refund back early; does nothing when it is no longer ours. */
export async function releaseRefund(q: Q, id: string, attempts: number, at: Date): Promise<void> {
  await q
    .update(paymentRefunds)
    .set({ claimedUntil: at })
    .where(and(eq(paymentRefunds.id, id), eq(paymentRefunds.state, "PENDING"), eq(paymentRefunds.attempts, attempts)));
}

/** Settles a PENDING refund; false when it was settled already. */
export async function settleRefund(
  tx: Tx,
  id: string,
  change: { state: "SUCCEEDED" | "FAILED"; failureCode: string; providerReference: string; updateTime: Date },
): Promise<boolean> {
  const [res] = await tx
    .update(paymentRefunds)
    .set(change)
    .where(and(eq(paymentRefunds.id, id), eq(paymentRefunds.state, "PENDING")));
  return res.affectedRows === 1;
}
