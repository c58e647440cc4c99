/** Orders and their lines: rows in, rows out (mappers.ts makes messages of them). */
import { and, asc, desc, eq, inArray, isNull, lt, lte, or, type SQL, sql } from "drizzle-orm";
import type { Tx } from "../../../../platform/db/index.js";
import { orderLines, orders, tickets } from "../../db/orders-schema.js";
import { type Q, utc } from "../../db/sql.js";
import type { OrderState } from "../domain/order.js";

export type OrderRow = typeof orders.$inferSelect;
export type NewOrderRow = typeof orders.$inferInsert;
export type LineRow = typeof orderLines.$inferSelect;

/** An order with what it bought and the tickets it issued. */
export interface OrderView {
  readonly row: OrderRow;
  readonly lines: readonly LineRow[];
  readonly ticketIds: readonly string[];
}

export async function insertOrder(tx: Tx, row: NewOrderRow, lines: readonly LineRow[]): Promise<void> {
  await tx.insert(orders).values(row);
  if (lines.length > 0) await tx.insert(orderLines).values([...lines]);
}

export async function findOrder(q: Q, id: string): Promise<OrderRow | undefined> {
  const [row] = await q.select().from(orders).where(eq(orders.id, id));
  return row;
}

/** The order row, locked for the transaction (every state change takes this lock first). */
export async function lockOrder(tx: Tx, id: string): Promise<OrderRow | undefined> {
  const [row] = await tx.select().from(orders).where(eq(orders.id, id)).for("update");
  return row;
}

export async function orderByHold(q: Q, holdId: string): Promise<OrderRow | undefined> {
  const [row] = await q.select().from(orders).where(eq(orders.holdId, holdId));
  return row;
}

/** Orders with their lines and ticket ids, in the order of `rows`. */
export async function withDetails(q: Q, rows: readonly OrderRow[]): Promise<OrderView[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const lines = await q
    .select()
    .from(orderLines)
    .where(inArray(orderLines.orderId, ids))
    .orderBy(asc(orderLines.orderId), asc(orderLines.lineNo));
  const issued = await q
    .select({ id: tickets.id, orderId: tickets.orderId })
    .from(tickets)
    .where(inArray(tickets.orderId, ids))
    .orderBy(asc(tickets.id));
  return rows.map((row) => ({
    row,
    lines: lines.filter((l) => l.orderId === row.id),
    ticketIds: issued.filter((t) => t.orderId === row.id).map((t) => t.id),
  }));
}

/** An order's lines in line order (its tickets are issued from them). */
export function linesOfOrder(q: Q, id: string): Promise<LineRow[]> {
  return q.select().from(orderLines).where(eq(orderLines.orderId, id)).orderBy(asc(orderLines.lineNo));
}

/** Just the order's state (one indexed read; undefined for an unknown order). */
export async function orderState(q: Q, id: string): Promise<OrderState | undefined> {
  const [row] = await q.select({ state: orders.state }).from(orders).where(eq(orders.id, id));
  return row?.state as OrderState | undefined;
}

export async function orderView(q: Q, id: string): Promise<OrderView | undefined> {
  const row = await findOrder(q, id);
  return row === undefined ? undefined : (await withDetails(q, [row]))[0];
}

/**
 * A state change as a compare-and-set: applied only while the order is still in `from` (the
 * caller holds the row lock, so this is the guard against a second writer that read before it).
 * The version goes up by one. Returns whether it applied.
 */
export async function transition(
  tx: Tx,
  id: string,
  from: OrderState,
  set: Partial<Omit<OrderRow, "id" | "version">> & { updateTime: Date },
): Promise<boolean> {
  const [r] = (await tx
    .update(orders)
    .set({ ...set, version: sql`${orders.version} + 1` })
    .where(and(eq(orders.id, id), eq(orders.state, from)))) as unknown as [{ affectedRows: number }];
  return r.affectedRows === 1;
}

/** Changes that are not a state change (what payment said, the reconciliation's next check). */
export async function updateOrder(tx: Tx, id: string, set: Partial<Omit<OrderRow, "id" | "version">>): Promise<void> {
  await tx.update(orders).set(set).where(eq(orders.id, id));
}

/**
 * A pending order whose buyer was just told to retry Checkout (payment took nothing): the
 * reconciliation sweeper leaves it alone until `until`, so it does not fail the order under a
 * buyer who is retrying. One conditional statement; nothing when the order has moved on.
 */
export async function postponeCheck(q: Q, id: string, until: Date): Promise<void> {
  await q
    .update(orders)
    .set({ nextCheckTime: until })
    .where(and(eq(orders.id, id), eq(orders.state, "PENDING_PAYMENT"), isNull(orders.paymentOutcome)));
}

export interface OrderFilter {
  readonly userId?: string;
  readonly eventId?: string;
  readonly states: readonly OrderState[];
  /** The last order of the previous page (newest first). */
  readonly after?: { readonly createMs: number; readonly id: string };
  readonly limit: number;
}

/** Newest first: create_time then id, descending. */
export async function listOrders(q: Q, f: OrderFilter): Promise<OrderRow[]> {
  const where: SQL[] = [];
  if (f.userId !== undefined) where.push(eq(orders.userId, f.userId));
  if (f.eventId !== undefined) where.push(eq(orders.eventId, f.eventId));
  if (f.states.length > 0) where.push(inArray(orders.state, [...f.states]));
  if (f.after !== undefined) {
    const at = new Date(f.after.createMs);
    where.push(or(lt(orders.createTime, at), and(eq(orders.createTime, at), lt(orders.id, f.after.id)))!);
  }
  return q
    .select()
    .from(orders)
    .where(and(...where))
    .orderBy(desc(orders.createTime), desc(orders.id))
    .limit(f.limit);
}

/** How many orders wait for their payment, and the oldest one's creation (the orders_unsettled index). */
export async function pendingPayment(q: Q): Promise<{ count: number; oldest: Date | undefined }> {
  const [row] = await q
    .select({ count: sql<number>`count(*)`, oldest: sql<Date | string | null>`min(${orders.createTime})` })
    .from(orders)
    .where(and(isNull(orders.paymentOutcome), eq(orders.state, "PENDING_PAYMENT")));
  const oldest = row?.oldest ?? null;
  return { count: Number(row?.count ?? 0), oldest: oldest === null ? undefined : utc(oldest) };
}

/** Orders whose charge outcome is unknown and due for a question, oldest check first. */
export async function dueForReconciliation(q: Q, now: Date, limit: number): Promise<OrderRow[]> {
  return q
    .select()
    .from(orders)
    .where(and(isNull(orders.paymentOutcome), lte(orders.nextCheckTime, now)))
    .orderBy(asc(orders.nextCheckTime))
    .limit(limit);
}

/** PENDING_PAYMENT and CONFIRMED orders of an event, locked (the event's cancellation). */
export async function openOrdersOfEvent(tx: Tx, eventId: string, limit: number): Promise<OrderRow[]> {
  return tx
    .select()
    .from(orders)
    .where(and(eq(orders.eventId, eventId), inArray(orders.state, ["PENDING_PAYMENT", "CONFIRMED"])))
    .orderBy(asc(orders.id))
    .limit(limit)
    .for("update");
}

/** CONFIRMED orders of an event not yet told about `revision`, locked (the event's rescheduling). */
export async function confirmedBefore(tx: Tx, eventId: string, revision: number, limit: number): Promise<OrderRow[]> {
  return tx
    .select()
    .from(orders)
    .where(and(eq(orders.eventId, eventId), eq(orders.state, "CONFIRMED"), lt(orders.eventRevision, revision)))
    .orderBy(asc(orders.id))
    .limit(limit)
    .for("update");
}

/** Per section, the money of CONFIRMED orders (refunded orders are CANCELLED, so excluded). */
export async function revenueBySection(q: Q, eventId: string): Promise<Map<string, number>> {
  const found = await q
    .select({
      sectionId: orderLines.sectionId,
      minor: sql<string>`SUM(${orderLines.quantity} * ${orderLines.unitPriceMinor})`,
    })
    .from(orderLines)
    .innerJoin(orders, eq(orders.id, orderLines.orderId))
    .where(and(eq(orders.eventId, eventId), eq(orders.state, "CONFIRMED")))
    .groupBy(orderLines.sectionId);
  return new Map(found.map((r) => [r.sectionId, Number(r.minor)]));
}

/** The holder was told the event's new start: records it and counts an event of the order. */
export async function markRescheduled(tx: Tx, id: string, revision: number, start: Date | null): Promise<void> {
  await tx
    .update(orders)
    .set({ eventRevision: revision, eventStartTime: start, version: sql`${orders.version} + 1` })
    .where(eq(orders.id, id));
}
