import { CreateVenueRequestSchema } from "../../../gen/boxoffice/event/v1/event_service_pb.js";
import { VenueSchema } from "../../../gen/boxoffice/event/v1/venue_pb.js";
import { command } from "../../../platform/commands/index.js";
import { InvalidArgumentError } from "../../../platform/errors/index.js";
import { insertVenue } from "../db/repository.js";
import type { EventDeps } from "../deps.js";
import { actor } from "../domain/ownership.js";
import { venueViolations } from "../domain/validation.js";
import { newVenueRows } from "../mappers.js";
import { readVenue } from "./get-venue.js";

/** CreateVenue: an organiser's venue with its seat map, owned by the caller. */
export const createVenue = command({
  name: "event.CreateVenue",
  input: CreateVenueRequestSchema,
  output: VenueSchema,
  requestId: (req) => req.requestId,
  prepare(_d: EventDeps, principal, req) {
    const who = actor(principal);
    const violations = venueViolations(req.venue);
    if (violations.length > 0) throw new InvalidArgumentError(violations);
    return who;
  },
  async execute(d: EventDeps, w, req, who) {
    const rows = newVenueRows(req.venue!, { venue: d.newId(), section: d.newId }, who.id, new Date(w.now));
    await insertVenue(w.tx, rows.venue, rows.sections);
    return (await readVenue(w.tx, rows.venue.id, true))!;
  },
});
