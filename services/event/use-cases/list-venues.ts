import type { ListVenuesRequest } from "../../../gen/boxoffice/event/v1/event_service_pb.js";
import { type Venue, VenueView } from "../../../gen/boxoffice/event/v1/venue_pb.js";
import { pageSize } from "../../../platform/paging/index.js";
import type { Principal } from "../../../platform/principal/index.js";
import { findSections, listVenues as queryVenues } from "../db/repository.js";
import type { EventDeps } from "../deps.js";
import { toVenue } from "../mappers.js";

/** ListVenues (public, AIP-158): in id order, optionally one organiser's; FULL adds the seat maps. */
export async function listVenues(
  d: EventDeps,
  _principal: Principal | undefined,
  req: ListVenuesRequest,
): Promise<{ venues: Venue[]; nextPageToken: string }> {
  const size = pageSize(req.pageSize);
  const filters = { organizerId: req.organizerId };
  const cursor = d.pageTokens.decode<{ id: string }>(req.pageToken, filters);
  const rows = await queryVenues(d.db.orm, {
    organizerId: req.organizerId || undefined,
    afterId: cursor?.id,
    limit: size + 1,
  });
  const page = rows.slice(0, size);
  const sections = await findSections(
    d.db.orm,
    page.map((r) => r.id),
    req.view === VenueView.FULL,
  );
  const last = page[page.length - 1];
  return {
    venues: page.map((r) => toVenue(r, sections)),
    nextPageToken: rows.length > size && last ? d.pageTokens.encode({ id: last.id }, filters) : "",
  };
}
