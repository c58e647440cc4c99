/**
 * The inventory port over the ticket service's own repository (services/ticket/db). The event's
 * summary (name, times, venue) is not part of the inventory tables this half was built against, so
 * the caller says where it comes from (`summaryOf`), and who is told about availability changes.
 */
import { sql } from "drizzle-orm";
import { sectionCounts } from "../db/availability.js";
import { loadHold } from "../db/holds.js";
import { cancelSales, loadInventory } from "../db/inventory.js";
import { convertHold, markHoldSold, returnOrderPlaces } from "../db/lifecycle.js";
import { type Q, rows } from "../db/sql.js";
import type { EventSummaryView, InventoryPort } from "./ports.js";

export interface RepositoryPortOptions {
  /** The event's summary for emails; an empty one when unknown. */
  summaryOf(q: Q, eventId: string): Promise<EventSummaryView | undefined>;
  /** Called after commits that changed what is for sale. */
  notifyAvailabilityChanged?(eventId: string, holdIds: readonly string[]): void;
}

export function repositoryInventoryPort(o: RepositoryPortOptions): InventoryPort {
  return {
    async loadInventory(q, eventId) {
      const inv = await loadInventory(q, eventId);
      if (inv === undefined) return undefined;
      const [row] = await rows<{ organizer_id: string }>(
        q,
        sql`SELECT organizer_id FROM inventories WHERE inv_id = ${inv.invId}`,
      );
      const summary = (await o.summaryOf(q, eventId)) ?? {
        name: "",
        timeZone: "",
        venueName: "",
        venueCity: "",
      };
      return {
        invId: inv.invId,
        eventId,
        organizerId: row?.organizer_id ?? "",
        status: inv.sales.status,
        sections: inv.sections,
        summary,
      };
    },
    loadHold: (q, holdId, now) => loadHold(q, holdId, now),
    async lockSalesStatus(tx, eventId) {
      const [row] = await rows<{ status: "ON_SALE" | "CANCELLED" }>(
        tx,
        sql`SELECT status FROM inventories WHERE event_id = ${eventId} LOCK IN SHARE MODE`,
      );
      return row?.status;
    },
    stopSales: (tx, eventId, at) => cancelSales(tx, eventId, at),
    convertHold: (tx, holdId, orderId, now) => convertHold(tx, holdId, orderId, now),
    markHoldSold: (tx, holdId) => markHoldSold(tx, holdId),
    returnOrderPlaces: (tx, holdId) => returnOrderPlaces(tx, holdId),
    sectionCounts: (q, invId, now) => sectionCounts(q, invId, now),
    notifyAvailabilityChanged: (eventId, holdIds) => o.notifyAvailabilityChanged?.(eventId, holdIds),
  };
}
