import { clone } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { type Event, EventSchema } from "../../../gen/boxoffice/event/v1/event_pb.js";
import type { GetEventRequest } from "../../../gen/boxoffice/event/v1/event_service_pb.js";
import { InvalidArgumentError, NotFoundError } from "../../../platform/errors/index.js";
import type { Principal } from "../../../platform/principal/index.js";
import type { EventDeps } from "../deps.js";
import { effectiveState, storedStateOf } from "../domain/lifecycle.js";
import { canSeeDrafts, isPrivate, reader } from "../domain/ownership.js";

/**
 * A cached event as it reads at `nowMs`: its state derived again (a cached PUBLISHED entry must not
 * outlive its end time).
 */
export function asOf(e: Event, nowMs: number): Event {
  const stored = storedStateOf(e.state);
  const state = stored === undefined ? e.state : effectiveState(stored, e.endTime && timestampMs(e.endTime), nowMs);
  if (state === e.state) return e;
  const copy = clone(EventSchema, e);
  copy.state = state;
  return copy;
}

/**
 * GetEvent, the hot path: through the cache; a DRAFT (or a cancelled never-published draft) is
 * visible only to its organiser and admins.
 */
export async function getEvent(d: EventDeps, principal: Principal | undefined, req: GetEventRequest): Promise<Event> {
  const id = req.eventId;
  if (id === "") throw new InvalidArgumentError([{ field: "event_id", description: "required", reason: "REQUIRED" }]);
  const cached = await d.cache.get(id);
  if (cached === undefined) throw new NotFoundError("event", id);
  if (isPrivate(cached.state, cached.publishTime !== undefined) && !canSeeDrafts(reader(principal), cached.organizerId))
    throw new NotFoundError("event", id);
  return asOf(cached, d.clock.now());
}
