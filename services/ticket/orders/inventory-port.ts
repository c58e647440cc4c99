/**
 * The inventory port over the ticket service's own repository (services/ticket/db). The event's
 * summary (name, times, venue) lives in the inventory row's summary columns; a caller may say where
 * else it comes from (`summaryOf`: the order half's tests, which have no event service), and who is
 * told about availability changes.
 */
import { sql } from "drizzle-orm";
import { sectionCounts } from "../db/availability.js";
import { loadHold } from "../db/holds.js";
import { cancelSales, loadEventSummary, loadInventory } from "../db/inventory.js";
import { convertHold, markHoldSold, returnOrderPlaces } from "../db/lifecycle.js";
import { type Q, rows } from "../db/sql.js";
import type { EventSummaryView, InventoryPort } from "./ports.js";

export interface RepositoryPortOptions {
  /** The event's summary for emails (default: the inventory row's summary columns); empty when unknown. */
  summaryOf?(q: Q, eventId: string): Promise<EventSummaryView | undefined>;
  /** Called after commits that changed what is for sale. */
  notifyAvailabilityChanged?(eventId: string, holdIds: readonly string[]): void;
}

const noSummary: EventSummaryView = { name: "", timeZone: "", venueName: "", venueCity: "" };

export function repositoryInventoryPort(o: RepositoryPortOptions): InventoryPort {
  return {
    async loadInventory(q, eventId) {
      const inv = await loadInventory(q, eventId);
      if (inv === undefined) return undefined;
      const summary = o.summaryOf === undefined ? inv.summary : ((await o.summaryOf(q, eventId)) ?? noSummary);
      return {
        invId: inv.invId,
        eventId,
        organizerId: inv.organizerId,
        status: inv.sales.status,
        sections: inv.sections,
        summary,
      };
    },
    loadSummary: (q, eventId) => (o.summaryOf ?? loadEventSummary)(q, eventId),
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
