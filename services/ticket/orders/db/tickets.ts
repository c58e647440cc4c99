/** Issued tickets: rows in, rows out. */
import { and, desc, eq, getTableColumns, lt, or, type SQL, sql } from "drizzle-orm";
import type { Tx } from "../../../../platform/db/index.js";
import { tickets } from "../../db/orders-schema.js";
import { inventories, inventorySections } from "../../db/schema.js";
import type { Q } from "../../db/sql.js";

/** A ticket as read for an answer: its row and its section's name (what the layout called it). */
export type TicketRow = typeof tickets.$inferSelect & { readonly sectionName: string };
export type NewTicketRow = Omit<typeof tickets.$inferInsert, "livePlace">;

/**
 * Tickets with the name of their section, joined from the inventory this service materialised from
 * the published layout (final: a layout never changes once published, so the name is the one the
 * ticket was issued under). No copy in the tickets table: the join reads one row per event and
 * section through two unique indexes.
 */
function selectTickets(q: Q) {
  return q
    .select({ ...getTableColumns(tickets), sectionName: sql<string>`COALESCE(${inventorySections.name}, '')` })
    .from(tickets)
    .leftJoin(inventories, eq(inventories.eventId, tickets.eventId))
    .leftJoin(
      inventorySections,
      and(eq(inventorySections.invId, inventories.invId), eq(inventorySections.sectionId, tickets.sectionId)),
    );
}

export async function insertTickets(tx: Tx, rows: readonly NewTicketRow[]): Promise<void> {
  if (rows.length > 0) await tx.insert(tickets).values([...rows]);
}

export async function ticketsOfOrder(q: Q, orderId: string): Promise<TicketRow[]> {
  return selectTickets(q).where(eq(tickets.orderId, orderId)).orderBy(tickets.id);
}

export async function findTicket(q: Q, id: string): Promise<TicketRow | undefined> {
  const [row] = await selectTickets(q).where(eq(tickets.id, id));
  return row;
}

/**
 * Admits a ticket: VALID → CHECKED_IN as one conditional UPDATE, so of two gates scanning the same
 * code at once exactly one matches the row. Returns whether this call admitted it.
 */
export async function admit(tx: Tx, id: string, eventId: string, now: Date, by: string): Promise<boolean> {
  const [r] = (await tx
    .update(tickets)
    .set({ state: "CHECKED_IN", checkInTime: now, checkedInBy: by })
    .where(and(eq(tickets.id, id), eq(tickets.eventId, eventId), eq(tickets.state, "VALID")))) as unknown as [
    { affectedRows: number },
  ];
  return r.affectedRows === 1;
}

/** The order's tickets, locked: a cancellation checks none was used, then voids them. */
export async function lockTicketsOfOrder(tx: Tx, orderId: string): Promise<(typeof tickets.$inferSelect)[]> {
  return tx.select().from(tickets).where(eq(tickets.orderId, orderId)).orderBy(tickets.id).for("update");
}

/** Voids an order's tickets that still admit (VALID, and with `all` also CHECKED_IN). */
export async function voidTickets(tx: Tx, orderId: string, now: Date, all: boolean): Promise<void> {
  await tx
    .update(tickets)
    .set({ state: "VOID", voidTime: now })
    .where(and(eq(tickets.orderId, orderId), all ? sql`${tickets.state} <> 'VOID'` : eq(tickets.state, "VALID")));
}

export interface TicketFilter {
  readonly userId: string;
  readonly eventId?: string;
  readonly after?: { readonly issueMs: number; readonly id: string };
  readonly limit: number;
}

/** A holder's tickets, newest first (issue_time then id, descending). */
export async function listTickets(q: Q, f: TicketFilter): Promise<TicketRow[]> {
  const where: SQL[] = [eq(tickets.userId, f.userId)];
  if (f.eventId !== undefined) where.push(eq(tickets.eventId, f.eventId));
  if (f.after !== undefined) {
    const at = new Date(f.after.issueMs);
    where.push(or(lt(tickets.issueTime, at), and(eq(tickets.issueTime, at), lt(tickets.id, f.after.id)))!);
  }
  return selectTickets(q)
    .where(and(...where))
    .orderBy(desc(tickets.issueTime), desc(tickets.id))
    .limit(f.limit);
}

/** Checked-in tickets per section of an event. */
export async function checkedInBySection(q: Q, eventId: string): Promise<Map<string, number>> {
  const found = await q
    .select({ sectionId: tickets.sectionId, n: sql<string>`COUNT(*)` })
    .from(tickets)
    .where(and(eq(tickets.eventId, eventId), eq(tickets.state, "CHECKED_IN")))
    .groupBy(tickets.sectionId);
  return new Map(found.map((r) => [r.sectionId, Number(r.n)]));
}
