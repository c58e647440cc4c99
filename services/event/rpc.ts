import { EventInternalService } from "../../gen/boxoffice/event/v1/event_internal_service_pb.js";
import { EventService } from "../../gen/boxoffice/event/v1/event_service_pb.js";
import { principalOf } from "../../platform/rpc/context.js";
import { defineService, type ServiceRegistration } from "../../platform/rpc/service.js";
import { eventAccess, eventInternalAccess } from "./access.js";
import type { EventDeps } from "./deps.js";
import { cancelEvent } from "./use-cases/cancel-event.js";
import { createEvent } from "./use-cases/create-event.js";
import { createVenue } from "./use-cases/create-venue.js";
import { getEvent } from "./use-cases/get-event.js";
import { getEventLayout } from "./use-cases/get-event-layout.js";
import { getVenue } from "./use-cases/get-venue.js";
import { listEvents } from "./use-cases/list-events.js";
import { listVenues } from "./use-cases/list-venues.js";
import { publishEvent } from "./use-cases/publish-event.js";
import { updateEvent } from "./use-cases/update-event.js";

/**
 * The RPC layer of the event service: the caller's principal and the request go to the use-case,
 * its result into the response. Access is declared in access.ts; errors map in the platform.
 */
export function eventServices(d: EventDeps): ServiceRegistration[] {
  return [
    defineService(EventService, eventAccess.access, {
      createVenue: async (req, ctx) => ({ venue: await createVenue(d, principalOf(ctx), req) }),
      getVenue: async (req, ctx) => ({ venue: await getVenue(d, principalOf(ctx), req) }),
      listVenues: (req, ctx) => listVenues(d, principalOf(ctx), req),
      createEvent: async (req, ctx) => ({ event: await createEvent(d, principalOf(ctx), req) }),
      updateEvent: async (req, ctx) => ({ event: await updateEvent(d, principalOf(ctx), req) }),
      publishEvent: async (req, ctx) => ({ event: await publishEvent(d, principalOf(ctx), req) }),
      cancelEvent: async (req, ctx) => ({ event: await cancelEvent(d, principalOf(ctx), req) }),
      getEvent: async (req, ctx) => ({ event: await getEvent(d, principalOf(ctx), req) }),
      listEvents: (req, ctx) => listEvents(d, principalOf(ctx), req),
    }),
    defineService(EventInternalService, eventInternalAccess.access, {
      getEventLayout: async (req, ctx) => ({ layout: await getEventLayout(d, principalOf(ctx), req) }),
    }),
  ];
}
