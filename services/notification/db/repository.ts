/** SQL of the notification service: the queue of notifications and their delivery attempts. */
import { and, asc, desc, eq, inArray, lt, lte, min, or, sql } from "drizzle-orm";
import type { MySql2Database } from "drizzle-orm/mysql2";
import { type Db, isDuplicateKey, type Tx, withTransaction } from "../../../platform/db/index.js";
import { deliveries, notifications } from "./schema.js";

type Q = Tx | MySql2Database;

export type NotificationRow = typeof notifications.$inferSelect;
export type NewNotificationRow = typeof notifications.$inferInsert;
export type DeliveryRow = typeof deliveries.$inferSelect;

/**
 * Inserts a notification unless one with its dedupe key exists. Returns the id that holds the key
 * and whether it was this insert. A duplicate key fails only the statement, not the surrounding
 * transaction (InnoDB), so the consumer's transaction goes on.
 */
export async function insertNotification(q: Q, row: NewNotificationRow): Promise<{ id: string; created: boolean }> {
  try {
    await q.insert(notifications).values(row);
    return { id: row.id, created: true };
  } catch (e) {
    if (!isDuplicateKey(e)) throw e;
    const [existing] = await q
      .select({ id: notifications.id })
      .from(notifications)
      .where(eq(notifications.dedupeKey, row.dedupeKey));
    if (existing === undefined) throw e;
    return { id: existing.id, created: false };
  }
}

/** A notification claimed for one attempt: the row as it was claimed, and the attempt's token. */
export interface Claim {
  row: NotificationRow;
  /** the delivery row of this attempt, and the claim token the finish must still match */
  deliveryId: string;
  /** this attempt's number (row.attempts after the claim) */
  attempt: number;
}

/**
 * Claims up to `limit` due notifications in one short transaction: `FOR UPDATE SKIP LOCKED`, so
 * concurrent senders never pick the same row and never wait for each other, then each row gets
 * the lease (next_attempt_time = now + lease, claim_token) and an IN_PROGRESS delivery; an earlier
 * attempt still IN_PROGRESS (its sender died) is marked ABANDONED.
 */
export async function claimDue(
  db: Db,
  o: { now: Date; leaseMs: number; limit: number; instance: string; newId: () => string },
): Promise<Claim[]> {
  return withTransaction(db, async (tx) => {
    const due = await tx
      .select()
      .from(notifications)
      .where(and(eq(notifications.state, "PENDING"), lte(notifications.nextAttemptTime, o.now)))
      .orderBy(asc(notifications.nextAttemptTime))
      .limit(o.limit)
      .for("update", { skipLocked: true });
    if (due.length === 0) return [];
    const leaseEnd = new Date(o.now.getTime() + o.leaseMs);
    // only a row attempted before can have an attempt whose sender died (the common first attempt skips this)
    const retried = due.filter((r) => r.attempts > 0).map((r) => r.id);
    if (retried.length > 0)
      await tx
        .update(deliveries)
        .set({ outcome: "ABANDONED", endTime: o.now, detail: "the sender's lease ran out before it reported back" })
        .where(and(inArray(deliveries.notificationId, retried), eq(deliveries.outcome, "IN_PROGRESS")));
    const claims: Claim[] = [];
    for (const row of due) {
      const deliveryId = o.newId();
      const attempt = row.attempts + 1;
      await tx
        .update(notifications)
        .set({ attempts: attempt, claimToken: deliveryId, nextAttemptTime: leaseEnd, updateTime: o.now })
        .where(eq(notifications.id, row.id));
      claims.push({ row: { ...row, attempts: attempt, claimToken: deliveryId }, deliveryId, attempt });
    }
    await tx.insert(deliveries).values(
      claims.map((c) => ({
        id: c.deliveryId,
        notificationId: c.row.id,
        attempt: c.attempt,
        channel: c.row.channel,
        instance: o.instance,
        outcome: "IN_PROGRESS",
        startTime: o.now,
      })),
    );
    return claims;
  });
}

/**
 * Keeps a claim alive while its attempt runs: moves the lease's end to `until`, only while the claim
 * is still ours. False when it is not (the lease already ran out and another sender claimed it).
 */
export async function renewLease(q: Q, claim: Claim, until: Date): Promise<boolean> {
  const [res] = await q
    .update(notifications)
    .set({ nextAttemptTime: until })
    .where(and(eq(notifications.id, claim.row.id), eq(notifications.claimToken, claim.deliveryId)));
  return res.affectedRows === 1;
}

/** How an attempt ended, as the notification row and its delivery record take it. */
export interface AttemptEnd {
  outcome: "SENT" | "TEMPORARY_FAILURE" | "PERMANENT_FAILURE";
  /** the notification's new state */
  state: "PENDING" | "SENT" | "FAILED";
  /** PENDING only: when to try again */
  nextAttemptTime: Date | null;
  detail: string;
  /** the recipient the attempt used (resolved at send time when the row had none) */
  recipient?: { address: string; name: string };
  at: Date;
}

/**
 * Records the end of an attempt. The notification changes only while the claim is still ours
 * (claim_token matches): returns false when the lease ran out and another sender claimed it
 * meanwhile; the delivery record gets its outcome either way (it is the fact of this attempt).
 */
export async function finishAttempt(db: Db, claim: Claim, end: AttemptEnd): Promise<boolean> {
  return withTransaction(db, async (tx) => {
    const [res] = await tx
      .update(notifications)
      .set({
        state: end.state,
        nextAttemptTime: end.state === "PENDING" ? end.nextAttemptTime : null,
        claimToken: null,
        lastError: end.outcome === "SENT" ? "" : end.detail.slice(0, 1000),
        sendTime: end.state === "SENT" ? end.at : null,
        updateTime: end.at,
        ...(end.recipient ? { recipient: end.recipient.address, recipientName: end.recipient.name } : {}),
      })
      .where(and(eq(notifications.id, claim.row.id), eq(notifications.claimToken, claim.deliveryId)));
    await tx
      .update(deliveries)
      .set({ outcome: end.outcome, detail: end.detail.slice(0, 1000), endTime: end.at })
      .where(eq(deliveries.id, claim.deliveryId));
    return res.affectedRows === 1;
  });
}

/** create_time of the oldest notification not yet SENT nor FAILED; undefined when none is pending. */
export async function oldestPendingCreateTime(q: Q): Promise<Date | undefined> {
  const [r] = await q
    .select({ t: min(notifications.createTime) })
    .from(notifications)
    .where(eq(notifications.state, "PENDING"));
  return r?.t ?? undefined;
}

/** One notification by id (tests, and the RPC layer later). */
export async function findNotification(q: Q, id: string): Promise<NotificationRow | undefined> {
  const [row] = await q.select().from(notifications).where(eq(notifications.id, id));
  return row;
}

/** The notifications holding some dedupe keys (what was queued for one cause or one order). */
export async function findByDedupeKeys(
  q: Q,
  keys: string[],
): Promise<Array<Pick<NotificationRow, "id" | "kind" | "payload" | "dedupeKey">>> {
  if (keys.length === 0) return [];
  return q
    .select({
      id: notifications.id,
      kind: notifications.kind,
      payload: notifications.payload,
      dedupeKey: notifications.dedupeKey,
    })
    .from(notifications)
    .where(inArray(notifications.dedupeKey, keys));
}

/** A user's notifications, newest first (create_time, then id, descending), after `before` when given. */
export async function listForUser(
  q: Q,
  o: { userId: string; before?: { createTime: Date; id: string }; limit: number },
): Promise<NotificationRow[]> {
  const after = o.before
    ? or(
        lt(notifications.createTime, o.before.createTime),
        and(eq(notifications.createTime, o.before.createTime), lt(notifications.id, o.before.id)),
      )
    : undefined;
  return q
    .select()
    .from(notifications)
    .where(and(eq(notifications.userId, o.userId), after))
    .orderBy(desc(notifications.createTime), desc(notifications.id))
    .limit(o.limit);
}

/** The delivery attempts of a notification, first attempt first. */
export async function deliveriesOf(q: Q, notificationId: string): Promise<DeliveryRow[]> {
  return q
    .select()
    .from(deliveries)
    .where(eq(deliveries.notificationId, notificationId))
    .orderBy(asc(deliveries.attempt));
}

/** Counts by state (tests and operators). */
export async function countByState(q: Q): Promise<Record<string, number>> {
  const rows = await q
    .select({ state: notifications.state, n: sql<number>`COUNT(*)` })
    .from(notifications)
    .groupBy(notifications.state);
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
}
