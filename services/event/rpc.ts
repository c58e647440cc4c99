import { create } from "@bufbuild/protobuf";
import { EventInternalService } from "../../gen/boxoffice/event/v1/event_internal_service_pb.js";
import { EventState } from "../../gen/boxoffice/event/v1/event_pb.js";
import { EventService, GetEventResponseSchema } from "../../gen/boxoffice/event/v1/event_service_pb.js";
import { EncodedAnswers } from "../../platform/cache/index.js";
import { principalOf } from "../../platform/rpc/context.js";
import { answerPrepared } from "../../platform/rpc/prepared.js";
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
  // GetEvent's answers, encoded once per event version (platform/cache/encoded.ts)
  const answers = new EncodedAnswers(GetEventResponseSchema);
  return [
    defineService(EventService, eventAccess.access, {
      createVenue: async (req, ctx) => ({ venue: await createVenue(d, principalOf(ctx), req) }),
      getVenue: async (req, ctx) => ({ venue: await getVenue(d, principalOf(ctx), req) }),
      listVenues: (req, ctx) => listVenues(d, principalOf(ctx), req),
      createEvent: async (req, ctx) => ({ event: await createEvent(d, principalOf(ctx), req) }),
      updateEvent: async (req, ctx) => ({ event: await updateEvent(d, principalOf(ctx), req) }),
      publishEvent: async (req, ctx) => ({ event: await publishEvent(d, principalOf(ctx), req) }),
      cancelEvent: async (req, ctx) => ({ event: await cancelEvent(d, principalOf(ctx), req) }),
      getEvent: async (req, ctx) => {
        const event = await getEvent(d, principalOf(ctx), req);
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
      listEvents: (req, ctx) => listEvents(d, principalOf(ctx), req),
    }),
    defineService(EventInternalService, eventInternalAccess.access, {
      getEventLayout: async (req, ctx) => ({ layout: await getEventLayout(d, principalOf(ctx), req) }),
    }),
  ];
}
