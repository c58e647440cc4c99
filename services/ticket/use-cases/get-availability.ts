import type { Availability } from "../../../gen/boxoffice/ticket/v1/availability_pb.js";
import type { GetAvailabilityRequest } from "../../../gen/boxoffice/ticket/v1/ticket_service_pb.js";
import type { Principal } from "../../../platform/principal/index.js";
import type { TicketDeps } from "../deps.js";
import { liveSnapshot, toAvailability } from "../mappers.js";
import { inventoryOf, sectionOf } from "./inventory-of.js";

/**
 * GetAvailability (public): counts per section from the platform cache (Redis and an in-process
 * tier, dropped after places change: about a second stale at most), prices and on_sale from the
 * inventory now. With include_seats, every seat's state comes from the process's live seat map of
 * the event (the one WatchAvailability streams from: read once, then kept current by the change
 * notices), never from a scan of the seats per request.
 */
export async function getAvailability(
  d: TicketDeps,
  _principal: Principal | undefined,
  req: GetAvailabilityRequest,
): Promise<Availability> {
  const inv = await inventoryOf(d, req.eventId);
  const section = sectionOf(inv, req.sectionId);
  const now = d.clock.now();
  if (req.includeSeats) {
    const live = await d.live.acquire(inv);
    try {
      return liveSnapshot(live, { section, seats: true }, now);
    } finally {
      d.live.release(live);
    }
  }
  const counts = await d.counts.get(req.eventId);
  if (counts === undefined) throw new Error(`counts of ${req.eventId} vanished`);
  return toAvailability(inv, counts, now, section);
}
