import type { Event } from "../../../gen/boxoffice/event/v1/event_pb.js";
import type { OutboxEvent, WriteScope } from "../../../platform/commands/index.js";
import type { Tx } from "../../../platform/db/index.js";
import { InvalidArgumentError, NotFoundError } from "../../../platform/errors/index.js";
import {
  type EventRow,
  findEvent,
  findEventWithTiers,
  findTiers,
  insertRevision,
  type NewEventRow,
  updateEvent,
  venueFacts,
} from "../db/repository.js";
import type { EventDeps } from "../deps.js";
import { type Actor, assertOwner } from "../domain/ownership.js";
import { eventSnapshot, toEvent } from "../mappers.js";

/** What the writes of events share: the owned row, locked; the venue; one committed change. */

export const required = (field: string) =>
  new InvalidArgumentError([{ field, description: "required", reason: "REQUIRED" }]);

/** The venue an event is placed in: NOT_FOUND, or PERMISSION_DENIED for another organiser's. */
export async function venueFor(tx: Tx, venueId: string, who: Actor) {
  if (venueId === "") throw required("event.venue_id");
  const venue = await venueFacts(tx, venueId);
  if (venue === undefined) throw new NotFoundError("venue", venueId);
  assertOwner(who, venue.organizerId, "venue");
  return venue;
}

/** The event row, locked for the transaction; NOT_FOUND, or PERMISSION_DENIED for another organiser's. */
export async function lockOwned(tx: Tx, id: string, who: Actor): Promise<EventRow> {
  if (id === "") throw required("event_id");
  const row = await findEvent(tx, id, { forUpdate: true });
  if (row === undefined) throw new NotFoundError("event", id);
  assertOwner(who, row.organizerId, "event");
  return row;
}

/** The event of a locked row as it reads now. */
export async function current(w: WriteScope, row: EventRow): Promise<Event> {
  return toEvent(row, await findTiers(w.tx, [row.id]), w.now);
}

/**
 * Commits one change of an event in the scope's transaction: the row (with the next revision), the
 * revision's snapshot, and the integration event `announce` derives from the result, if any. The
 * cache entry is dropped by the command's `after`.
 */
export async function commitChange(
  w: WriteScope,
  row: EventRow,
  set: Partial<NewEventRow>,
  changed: string[],
  who: Actor,
  announce: (e: Event, at: Date) => OutboxEvent | undefined,
): Promise<Event> {
  const at = new Date(w.now);
  await updateEvent(w.tx, row.id, { ...set, revision: row.revision + 1, updateTime: at });
  const found = (await findEventWithTiers(w.tx, row.id))!;
  const event = toEvent(found.row, found.tiers, w.now);
  await insertRevision(w.tx, {
    eventId: event.id,
    revision: Number(event.revision),
    changedFields: changed.join(","),
    actor: who.id,
    snapshot: eventSnapshot(event),
    changeTime: at,
  });
  const integration = announce(event, at);
  if (integration !== undefined) await w.emit(integration);
  return event;
}

/** Writers invalidate after commit and before answering: Redis is never stale after a write's response. */
export const invalidate = (d: EventDeps, e: Event) => d.cache.invalidate(e.id);
