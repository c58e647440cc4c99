import { create } from "@bufbuild/protobuf";
import type { GetEventLayoutRequest } from "../../../gen/boxoffice/event/v1/event_internal_service_pb.js";
import { type EventLayout, EventLayoutSchema, EventState } from "../../../gen/boxoffice/event/v1/event_pb.js";
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from "../../../platform/errors/index.js";
import type { Principal } from "../../../platform/principal/index.js";
import type { EventDeps } from "../deps.js";
import { readVenue } from "./get-venue.js";

/**
 * GetEventLayout (internal, for ticket): the frozen layout and prices of a published event, with
 * what tickets and emails show of it (name, times, venue) as they are now — those may change after
 * publishing, the layout may not.
 */
export async function getEventLayout(
  d: EventDeps,
  _principal: Principal | undefined,
  req: GetEventLayoutRequest,
): Promise<EventLayout> {
  if (req.eventId === "")
    throw new InvalidArgumentError([{ field: "event_id", description: "required", reason: "REQUIRED" }]);
  const event = await d.cache.get(req.eventId);
  if (event === undefined) throw new NotFoundError("event", req.eventId);
  if (event.state === EventState.DRAFT || event.publishTime === undefined)
    throw new FailedPreconditionError("EVENT_NOT_PUBLISHED", "an event never published has no frozen layout");
  if (req.layoutVersion !== 0n && req.layoutVersion !== event.layoutVersion) {
    throw new FailedPreconditionError(
      "LAYOUT_VERSION_MISMATCH",
      `the event's layout is version ${event.layoutVersion}`,
    );
  }
  const venue = await readVenue(d.db.orm, event.venueId, true);
  if (venue === undefined) throw new NotFoundError("venue", event.venueId);
  return create(EventLayoutSchema, {
    eventId: event.id,
    layoutVersion: event.layoutVersion,
    venueId: venue.id,
    organizerId: event.organizerId,
    sections: venue.sections,
    priceTiers: event.priceTiers,
    maxTicketsPerOrder: event.maxTicketsPerOrder,
    // The effective cap: 0 on the event means one order's worth per buyer.
    maxTicketsPerBuyer: event.maxTicketsPerBuyer || event.maxTicketsPerOrder,
    salesStartTime: event.salesStartTime,
    salesEndTime: event.salesEndTime,
    name: event.name,
    startTime: event.startTime,
    endTime: event.endTime,
    timeZone: event.timeZone,
    venueName: venue.name,
    venueCity: venue.city,
  });
}
