import type { HandlerContext } from "@connectrpc/connect";
import {
  type CreateVenueRequest,
  CreateVenueRequestSchema,
  CreateVenueResponseSchema,
  type ListVenuesRequest,
} from "../../../gen/boxoffice/event/v1/event_service_pb.js";
import { type Venue, VenueView } from "../../../gen/boxoffice/event/v1/venue_pb.js";
import { idempotencyKey } from "../../../platform/db/idempotency.js";
import { InvalidArgumentError, NotFoundError } from "../../../platform/rpc/errors.js";
import { pageSize } from "../../../platform/rpc/page-token.js";
import { venueViolations } from "../domain/validation.js";
import { insertVenue, loadVenue, listVenues as queryVenues } from "../repository.js";
import { caller, type EventDeps } from "./context.js";

export async function createVenue(d: EventDeps, req: CreateVenueRequest, ctx: HandlerContext): Promise<Venue> {
  const key = idempotencyKey(ctx, req.requestId);
  const who = caller(ctx);
  const violations = venueViolations(req.venue);
  if (violations.length > 0) throw new InvalidArgumentError(violations);
  const { response } = await d.idempotency.run(
    key,
    { schema: CreateVenueRequestSchema, message: req },
    CreateVenueResponseSchema,
    async (tx) => {
      const id = await insertVenue(tx, req.venue!, who.id, d.newId, new Date(d.clock.now()));
      return { venue: await loadVenue(tx, id, true) };
    },
  );
  return response.venue!;
}

export async function getVenue(d: EventDeps, id: string, view: VenueView): Promise<Venue> {
  if (id === "") throw new InvalidArgumentError([{ field: "venue_id", description: "required", reason: "REQUIRED" }]);
  const venue = await loadVenue(d.db.orm, id, view !== VenueView.BASIC);
  if (venue === undefined) throw new NotFoundError("venue", id);
  return venue;
}

export async function listVenues(
  d: EventDeps,
  req: ListVenuesRequest,
): Promise<{ venues: Venue[]; nextPageToken: string }> {
  const size = pageSize(req.pageSize);
  const filters = { organizerId: req.organizerId };
  const cursor = d.pageTokens.decode<{ id: string }>(req.pageToken, filters);
  const rows = await queryVenues(d.db.orm, {
    organizerId: req.organizerId || undefined,
    afterId: cursor?.id,
    limit: size + 1,
    full: req.view === VenueView.FULL,
  });
  const page = rows.slice(0, size);
  const last = page[page.length - 1];
  return {
    venues: page,
    nextPageToken: rows.length > size && last ? d.pageTokens.encode({ id: last.id }, filters) : "",
  };
}
