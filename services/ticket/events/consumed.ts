import {
  EventCancelledSchema,
  EventPublishedSchema,
  EventUpdatedSchema,
} from "../../../gen/boxoffice/event/v1/events_pb.js";
import { eventType } from "../../../platform/bus/events.js";

/** The event service's integration events the ticket service consumes (the producer's generated types). */
export const EventPublished = eventType(EventPublishedSchema, "event");
export const EventUpdated = eventType(EventUpdatedSchema, "event");
export const EventCancelled = eventType(EventCancelledSchema, "event");
