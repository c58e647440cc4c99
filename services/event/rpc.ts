import { create } from "@bufbuild/protobuf";
import { EventInternalService } from "../../gen/boxoffice/event/v1/event_internal_service_pb.js";
import { EventState } from "../../gen/boxoffice/event/v1/event_pb.js";
import { EventService, GetEventResponseSchema } from "../../gen/boxoffice/event/v1/event_service_pb.js";
import { EncodedAnswers } from "../../platform/cache/index.js";
import { answerPrepared } from "../../platform/rpc/prepared.js";
import { defineService, type ServiceRegistration } from "../../platform/rpc/service.js";
import { eventAccess, eventInternalAccess } from "./access.js";
import type { EventDeps } from "./use-cases/context.js";
import { cancelEvent, createEvent, publishEvent, updateEvent } from "./use-cases/events.js";
import { getEvent, getEventLayout, listEvents } from "./use-cases/queries.js";
import { createVenue, getVenue, listVenues } from "./use-cases/venues.js";

/** The RPC layer of the event service: access declarations and delegation to use-cases. */
export function eventServices(d: EventDeps): ServiceRegistration[] {
  // GetEvent's answers, encoded once per event version (platform/cache/encoded.ts)
  const answers = new EncodedAnswers(GetEventResponseSchema);
  return [
    defineService(EventService, eventAccess.access, {
      createVenue: async (req, ctx) => ({ venue: await createVenue(d, req, ctx) }),
      getVenue: async (req) => ({ venue: await getVenue(d, req.venueId, req.view) }),
      listVenues: (req) => listVenues(d, req),
      createEvent: async (req, ctx) => ({ event: await createEvent(d, req, ctx) }),
      updateEvent: async (req, ctx) => ({ event: await updateEvent(d, req, ctx) }),
      publishEvent: async (req, ctx) => ({ event: await publishEvent(d, req, ctx) }),
      cancelEvent: async (req, ctx) => ({ event: await cancelEvent(d, req, ctx) }),
      getEvent: async (req, ctx) => {
        const event = await getEvent(d, req.eventId, ctx);
        // the revision changes with every write; the state also with the clock (ENDED)
        const version = `${event.revision}.${event.state}`;
        const build = () => create(GetEventResponseSchema, { event });
        // a draft is answered only to its organiser and admins: never from bytes kept for others
        const answer =
          event.state === EventState.DRAFT
            ? answers.single(version, build())
            : answers.shared(event.id, version, build);
        return answerPrepared(ctx, answer);
      },
      listEvents: (req, ctx) => listEvents(d, req, ctx),
    }),
    defineService(EventInternalService, eventInternalAccess.access, {
      getEventLayout: async (req) => ({ layout: await getEventLayout(d, req) }),
    }),
  ];
}
