/**
 * The inventory port over the ticket service's own repository (services/ticket/db). The event's
 * summary (name, times, venue) lives in the inventory row's summary columns; a caller may say where
 * else it comes from (`summaryOf`: the order half's tests, which have no event service), and who is
 * told about availability changes.
 */
import { sql } from "drizzle-orm";
import { sectionCounts } from "../db/availability.js";
import { loadHold } from "../db/holds.js";
import { cancelSales, loadInventory } from "../db/inventory.js";
import { convertHold, markHoldSold, returnOrderPlaces } from "../db/lifecycle.js";
import { type Q, rows, utc } from "../db/sql.js";
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
    async loadSummary(q, eventId) {
      if (o.summaryOf !== undefined) return o.summaryOf(q, eventId);
      const [r] = await rows<{
        name: string;
        start_time: Date | string | null;
        end_time: Date | string | null;
        time_zone: string;
        venue_name: string;
        venue_city: string;
        layout_version: number | string;
      }>(
        q,
        sql`SELECT name, start_time, end_time, time_zone, venue_name, venue_city, layout_version
              FROM inventories WHERE event_id = ${eventId}`,
      );
      // as loadInventory: a row with no layout yet (only a cancellation) is no inventory
      if (r === undefined || Number(r.layout_version) === 0) return undefined;
      return {
        name: r.name,
        startTime: r.start_time === null ? undefined : utc(r.start_time),
        endTime: r.end_time === null ? undefined : utc(r.end_time),
        timeZone: r.time_zone,
        venueName: r.venue_name,
        venueCity: r.venue_city,
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
