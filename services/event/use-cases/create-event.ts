import { clone } from "@bufbuild/protobuf";
import { EventSchema, EventState } from "../../../gen/boxoffice/event/v1/event_pb.js";
import { CreateEventRequestSchema } from "../../../gen/boxoffice/event/v1/event_service_pb.js";
import { command } from "../../../platform/commands/index.js";
import { InvalidArgumentError } from "../../../platform/errors/index.js";
import { findEventWithTiers, insertEvent, insertRevision, replaceTiers } from "../db/repository.js";
import type { EventDeps } from "../deps.js";
import { storedName } from "../domain/lifecycle.js";
import { actor } from "../domain/ownership.js";
import { defaultMaxTickets, eventViolations } from "../domain/validation.js";
import { eventColumns, eventSnapshot, tierRows, toEvent } from "../mappers.js";
import { required, venueFor } from "./event-change.js";

/** CreateEvent: a DRAFT in one of the caller's venues (its time zone and city copied from it). */
export const createEvent = command({
  name: "event.CreateEvent",
  input: CreateEventRequestSchema,
  output: EventSchema,
  requestId: (req) => req.requestId,
  prepare(_d: EventDeps, principal, req) {
    const who = actor(principal);
    if (req.event === undefined) throw required("event");
    return who;
  },
  async execute(d: EventDeps, w, req, who) {
    const e = clone(EventSchema, req.event!);
    const venue = await venueFor(w.tx, e.venueId, who);
    e.timeZone = venue.timeZone;
    e.maxTicketsPerOrder ||= defaultMaxTickets;
    const violations = eventViolations(e, venue.sectionIds);
    if (violations.length > 0) throw new InvalidArgumentError(violations);
    const id = d.newId();
    const at = new Date(w.now);
    await insertEvent(w.tx, {
      id,
      organizerId: venue.organizerId,
      ...eventColumns(e),
      city: venue.city,
      timeZone: e.timeZone,
      state: storedName(EventState.DRAFT),
      layoutVersion: 1,
      revision: 1,
      createTime: at,
      updateTime: at,
    });
    await replaceTiers(w.tx, id, tierRows(id, e.priceTiers));
    const found = (await findEventWithTiers(w.tx, id))!;
    const created = toEvent(found.row, found.tiers, w.now);
    await insertRevision(w.tx, {
      eventId: id,
      revision: 1,
      changedFields: "*",
      actor: who.id,
      snapshot: eventSnapshot(created),
      changeTime: at,
    });
    return created;
  },
});
