/**
 * Work owed that outlives a transaction: refunds to send to payment, and jobs over every order of
 * an event. Each row is written in the transaction that decided it and done by a periodic job.
 */
import { and, asc, desc, eq, lte, sql } from "drizzle-orm";
import type { Tx } from "../../../../platform/db/index.js";
import { orderEventJobs, orderRefunds } from "../../db/orders-schema.js";
import type { Q } from "../../db/sql.js";

export type RefundRow = typeof orderRefunds.$inferSelect;
export type EventJobRow = typeof orderEventJobs.$inferSelect;

/** Owes the refund of an order's payment (once: an order has one refund, of everything). */
export async function oweRefund(
  tx: Tx,
  r: { orderId: string; paymentId: string; reason: string; now: Date },
): Promise<void> {
  await tx
    .insert(orderRefunds)
    .values({ ...r, state: "PENDING", nextAttemptTime: r.now, createTime: r.now })
    .onDuplicateKeyUpdate({ set: { orderId: sql`${orderRefunds.orderId}` } });
}

export async function dueRefunds(q: Q, now: Date, limit: number, orderId?: string): Promise<RefundRow[]> {
  return q
    .select()
    .from(orderRefunds)
    .where(
      and(
        eq(orderRefunds.state, "PENDING"),
        orderId === undefined ? lte(orderRefunds.nextAttemptTime, now) : eq(orderRefunds.orderId, orderId),
      ),
    )
    .orderBy(asc(orderRefunds.nextAttemptTime))
    .limit(limit);
}

export async function refundSettled(q: Q, orderId: string, state: "DONE" | "REFUSED", note: string, now: Date) {
  await q
    .update(orderRefunds)
    .set({ state, lastError: note.slice(0, 300), doneTime: now })
    .where(and(eq(orderRefunds.orderId, orderId), eq(orderRefunds.state, "PENDING")));
}

export async function refundLater(q: Q, orderId: string, why: string, next: Date) {
  await q
    .update(orderRefunds)
    .set({ attempts: sql`${orderRefunds.attempts} + 1`, lastError: why.slice(0, 300), nextAttemptTime: next })
    .where(and(eq(orderRefunds.orderId, orderId), eq(orderRefunds.state, "PENDING")));
}

export async function refundOf(q: Q, orderId: string): Promise<RefundRow | undefined> {
  const [row] = await q.select().from(orderRefunds).where(eq(orderRefunds.orderId, orderId));
  return row;
}

export type NewEventJob = Omit<typeof orderEventJobs.$inferInsert, "state" | "processed" | "doneTime">;

/** Records a job (a repeat of the same event, kind and revision changes nothing). */
export async function addEventJob(tx: Tx, job: NewEventJob): Promise<void> {
  await tx
    .insert(orderEventJobs)
    .values({ ...job, state: "RUNNING" })
    .onDuplicateKeyUpdate({ set: { eventId: sql`${orderEventJobs.eventId}` } });
}

/** Running jobs, oldest revision first per event. */
export async function runningJobs(q: Q): Promise<EventJobRow[]> {
  return q
    .select()
    .from(orderEventJobs)
    .where(eq(orderEventJobs.state, "RUNNING"))
    .orderBy(asc(orderEventJobs.createTime), asc(orderEventJobs.revision));
}

export async function jobProgress(tx: Tx, j: EventJobRow, processed: number, done: Date | undefined): Promise<void> {
  await tx
    .update(orderEventJobs)
    .set({
      processed: sql`${orderEventJobs.processed} + ${processed}`,
      ...(done === undefined ? {} : { state: "DONE", doneTime: done }),
    })
    .where(
      and(
        eq(orderEventJobs.eventId, j.eventId),
        eq(orderEventJobs.kind, j.kind),
        eq(orderEventJobs.revision, j.revision),
      ),
    );
}

/** The newest rescheduling of an event this service has heard of. */
export async function latestReschedule(q: Q, eventId: string): Promise<EventJobRow | undefined> {
  const [row] = await q
    .select()
    .from(orderEventJobs)
    .where(and(eq(orderEventJobs.eventId, eventId), eq(orderEventJobs.kind, "RESCHEDULE")))
    .orderBy(desc(orderEventJobs.revision))
    .limit(1);
  return row;
}

/** Whether the event's cancellation reached this half (its job exists). */
export async function eventCancelled(q: Q, eventId: string): Promise<boolean> {
  const [row] = await q
    .select({ n: sql<number>`1` })
    .from(orderEventJobs)
    .where(and(eq(orderEventJobs.eventId, eventId), eq(orderEventJobs.kind, "CANCEL")))
    .limit(1);
  return row !== undefined;
}
