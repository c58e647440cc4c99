import { EventInternalService } from "../../gen/boxoffice/event/v1/event_internal_service_pb.js";
import { EventService } from "../../gen/boxoffice/event/v1/event_service_pb.js";
import { defineService, type ServiceRegistration } from "../../platform/rpc/service.js";
import { eventAccess, eventInternalAccess } from "./access.js";
import type { EventDeps } from "./use-cases/context.js";
import { cancelEvent, createEvent, publishEvent, updateEvent } from "./use-cases/events.js";
import { getEvent, getEventLayout, listEvents } from "./use-cases/queries.js";
import { createVenue, getVenue, listVenues } from "./use-cases/venues.js";

/** The RPC layer of the event service: access declarations and delegation to use-cases. */
export function eventServices(d: EventDeps): ServiceRegistration[] {
  return [
    defineService(EventService, eventAccess.access, {
      createVenue: async (req, ctx) => ({ venue: await createVenue(d, req, ctx) }),
      getVenue: async (req) => ({ venue: await getVenue(d, req.venueId, req.view) }),
      listVenues: (req) => listVenues(d, req),
      createEvent: async (req, ctx) => ({ event: await createEvent(d, req, ctx) }),
      updateEvent: async (req, ctx) => ({ event: await updateEvent(d, req, ctx) }),
      publishEvent: async (req, ctx) => ({ event: await publishEvent(d, req, ctx) }),
      cancelEvent: async (req, ctx) => ({ event: await cancelEvent(d, req, ctx) }),
      getEvent: async (req, ctx) => ({ event: await getEvent(d, req.eventId, ctx) }),
      listEvents: (req, ctx) => listEvents(d, req, ctx),
    }),
    defineService(EventInternalService, eventInternalAccess.access, {
      getEventLayout: async (req) => ({ layout: await getEventLayout(d, req) }),
    }),
  ];
}
