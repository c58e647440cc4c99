import type { MySql2Database } from "drizzle-orm/mysql2";
import type { GetVenueRequest } from "../../../gen/boxoffice/event/v1/event_service_pb.js";
import { type Venue, VenueView } from "../../../gen/boxoffice/event/v1/venue_pb.js";
import type { Tx } from "../../../platform/db/index.js";
import { InvalidArgumentError, NotFoundError } from "../../../platform/errors/index.js";
import type { Principal } from "../../../platform/principal/index.js";
import { findSections, findVenue } from "../db/repository.js";
import type { EventDeps } from "../deps.js";
import { toVenue } from "../mappers.js";

/** A venue with its sections; `withSeatMaps` includes every reserved section's seat map. */
export async function readVenue(q: Tx | MySql2Database, id: string, withSeatMaps: boolean): Promise<Venue | undefined> {
  const row = await findVenue(q, id);
  return row === undefined ? undefined : toVenue(row, await findSections(q, [id], withSeatMaps));
}

/** GetVenue (public): BASIC leaves out the seat maps. */
export async function getVenue(d: EventDeps, _principal: Principal | undefined, req: GetVenueRequest): Promise<Venue> {
  if (req.venueId === "")
    throw new InvalidArgumentError([{ field: "venue_id", description: "required", reason: "REQUIRED" }]);
  const venue = await readVenue(d.db.orm, req.venueId, req.view !== VenueView.BASIC);
  if (venue === undefined) throw new NotFoundError("venue", req.venueId);
  return venue;
}
