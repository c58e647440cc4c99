import { create } from "@bufbuild/protobuf";
import { timestampDate, timestampMs } from "@bufbuild/protobuf/wkt";
import type { HandlerContext } from "@connectrpc/connect";
import type { GetEventLayoutRequest } from "../../../gen/boxoffice/event/v1/event_internal_service_pb.js";
import {
  type Event,
  type EventLayout,
  EventLayoutSchema,
  EventState,
} from "../../../gen/boxoffice/event/v1/event_pb.js";
import type { ListEventsRequest } from "../../../gen/boxoffice/event/v1/event_service_pb.js";
import {
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
} from "../../../platform/rpc/errors.js";
import { pageSize } from "../../../platform/rpc/page-token.js";
import { loadVenue, listEvents as queryEvents, stateName } from "../repository.js";
import { type EventDeps, reader } from "./context.js";
import { withDerivedState } from "./events.js";

/** GetEvent, the hot path: through the cache; a DRAFT is visible only to its organiser and admins. */
export async function getEvent(d: EventDeps, id: string, ctx: HandlerContext): Promise<Event> {
  if (id === "") throw new InvalidArgumentError([{ field: "event_id", description: "required", reason: "REQUIRED" }]);
  const cached = await d.cache.get(id);
  if (cached === undefined) throw new NotFoundError("event", id);
  if (cached.state === EventState.DRAFT) {
    const who = reader(ctx);
    if (who === undefined || (!who.admin && who.id !== cached.organizerId)) throw new NotFoundError("event", id);
  }
  return withDerivedState(cached, d.clock.now());
}

/** ListEvents (AIP-158): upcoming PUBLISHED events by default, in (start_time, id) order. */
export async function listEvents(
  d: EventDeps,
  req: ListEventsRequest,
  ctx: HandlerContext,
): Promise<{ events: Event[]; nextPageToken: string }> {
  const size = pageSize(req.pageSize);
  const now = d.clock.now();
  const requested = req.states.length === 0 ? [EventState.PUBLISHED] : req.states;
  if (requested.includes(EventState.UNSPECIFIED))
    throw new InvalidArgumentError([
      { field: "states", description: "EVENT_STATE_UNSPECIFIED is not a state", reason: "INVALID" },
    ]);
  if (requested.includes(EventState.DRAFT)) {
    const who = reader(ctx);
    if (who === undefined || (!who.admin && who.id !== req.organizerId)) {
      throw new PermissionDeniedError(
        "drafts are listed only for their own organiser (set organizer_id to yours)",
        "DRAFTS_NOT_VISIBLE",
      );
    }
  }
  // ENDED is PUBLISHED past its end; "upcoming" (the default) hides events that have ended.
  const stored = new Set(requested.map((s) => (s === EventState.ENDED ? EventState.PUBLISHED : s)).map(stateName));
  const onlyUpcoming = !requested.includes(EventState.ENDED);
  const filters = {
    s: [...stored].sort(),
    u: onlyUpcoming,
    a: req.startTimeAfter ? timestampMs(req.startTimeAfter) : null,
    b: req.startTimeBefore ? timestampMs(req.startTimeBefore) : null,
    c: req.city.trim().toLowerCase(),
    q: req.query.trim(),
    o: req.organizerId,
  };
  const cursor = d.pageTokens.decode<{ s: number; id: string }>(req.pageToken, filters);
  const rows = await queryEvents(
    d.db.orm,
    {
      states: filters.s,
      notEndedBy: onlyUpcoming ? new Date(now) : undefined,
      startAfter: req.startTimeAfter ? timestampDate(req.startTimeAfter) : undefined,
      startBefore: req.startTimeBefore ? timestampDate(req.startTimeBefore) : undefined,
      city: filters.c || undefined,
      query: filters.q || undefined,
      organizerId: req.organizerId || undefined,
      cursor: cursor === undefined ? undefined : { startMs: cursor.s, id: cursor.id },
      limit: size + 1,
    },
    now,
  );
  const raw = rows.slice(0, size);
  // The database knows PUBLISHED; ENDED is derived, so asking for only one of them filters here.
  const page = raw.filter((e) => requested.includes(e.state));
  const last = raw.at(-1);
  const next =
    rows.length > size && last !== undefined
      ? d.pageTokens.encode({ s: timestampMs(last.startTime!), id: last.id }, filters)
      : "";
  return { events: page, nextPageToken: next };
}

/** GetEventLayout (internal, for ticket): the frozen layout and prices of a published event. */
export async function getEventLayout(d: EventDeps, req: GetEventLayoutRequest): Promise<EventLayout> {
  if (req.eventId === "")
    throw new InvalidArgumentError([{ field: "event_id", description: "required", reason: "REQUIRED" }]);
  const event = await d.cache.get(req.eventId);
  if (event === undefined) throw new NotFoundError("event", req.eventId);
  if (event.state === EventState.DRAFT)
    throw new FailedPreconditionError("EVENT_NOT_PUBLISHED", "a draft has no frozen layout yet");
  if (req.layoutVersion !== 0n && req.layoutVersion !== event.layoutVersion) {
    throw new FailedPreconditionError(
      "LAYOUT_VERSION_MISMATCH",
      `the event's layout is version ${event.layoutVersion}`,
    );
  }
  const venue = await loadVenue(d.db.orm, event.venueId, true);
  if (venue === undefined) throw new NotFoundError("venue", event.venueId);
  return create(EventLayoutSchema, {
    eventId: event.id,
    layoutVersion: event.layoutVersion,
    venueId: venue.id,
    organizerId: event.organizerId,
    sections: venue.sections,
    priceTiers: event.priceTiers,
    maxTicketsPerOrder: event.maxTicketsPerOrder,
    salesStartTime: event.salesStartTime,
    salesEndTime: event.salesEndTime,
  });
}
