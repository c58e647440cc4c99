import { timestampDate, timestampMs } from "@bufbuild/protobuf/wkt";
import { type Event, EventState } from "../../../gen/boxoffice/event/v1/event_pb.js";
import type { ListEventsRequest } from "../../../gen/boxoffice/event/v1/event_service_pb.js";
import { InvalidArgumentError, PermissionDeniedError } from "../../../platform/errors/index.js";
import { pageSize } from "../../../platform/paging/index.js";
import type { Principal } from "../../../platform/principal/index.js";
import { listEvents as queryEvents } from "../db/repository.js";
import type { EventDeps } from "../deps.js";
import { storedStateOf } from "../domain/lifecycle.js";
import { canSeeDrafts, reader } from "../domain/ownership.js";
import { toEvent } from "../mappers.js";

/**
 * ListEvents (AIP-158): upcoming PUBLISHED events by default, in (start_time, id) order. DRAFTs only
 * for their own organiser (or an admin); cancelled drafts only to them, whatever the filter.
 */
export async function listEvents(
  d: EventDeps,
  principal: Principal | undefined,
  req: ListEventsRequest,
): Promise<{ events: Event[]; nextPageToken: string }> {
  const size = pageSize(req.pageSize);
  const now = d.clock.now();
  const requested = req.states.length === 0 ? [EventState.PUBLISHED] : req.states;
  if (requested.includes(EventState.UNSPECIFIED))
    throw new InvalidArgumentError([
      { field: "states", description: "EVENT_STATE_UNSPECIFIED is not a state", reason: "INVALID" },
    ]);
  if (requested.includes(EventState.DRAFT) && !canSeeDrafts(reader(principal), req.organizerId)) {
    throw new PermissionDeniedError(
      "drafts are listed only for their own organiser (set organizer_id to yours)",
      "DRAFTS_NOT_VISIBLE",
    );
  }
  // ENDED is stored PUBLISHED; "upcoming" (the default) hides events that have ended.
  const stored = new Set(requested.map(storedStateOf).filter((s) => s !== undefined));
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
  // Cancelled drafts stay private: an admin sees all, an organiser their own, others none.
  const who = reader(principal);
  const privateOf = who?.admin ? "all" : who === undefined ? undefined : { organizerId: who.id };
  const cursor = d.pageTokens.decode<{ s: number; id: string }>(req.pageToken, filters);
  const { rows, tiers } = await queryEvents(d.db.orm, {
    states: filters.s,
    notEndedBy: onlyUpcoming ? new Date(now) : undefined,
    startAfter: req.startTimeAfter ? timestampDate(req.startTimeAfter) : undefined,
    startBefore: req.startTimeBefore ? timestampDate(req.startTimeBefore) : undefined,
    city: filters.c || undefined,
    query: filters.q || undefined,
    organizerId: req.organizerId || undefined,
    privateOf,
    cursor: cursor === undefined ? undefined : { startMs: cursor.s, id: cursor.id },
    limit: size + 1,
  });
  const raw = rows.slice(0, size).map((r) => toEvent(r, tiers, now));
  // The database knows PUBLISHED; ENDED is derived, so asking for only one of them filters here.
  const page = raw.filter((e) => requested.includes(e.state));
  const last = raw.at(-1);
  const next =
    rows.length > size && last !== undefined
      ? d.pageTokens.encode({ s: timestampMs(last.startTime!), id: last.id }, filters)
      : "";
  return { events: page, nextPageToken: next };
}
