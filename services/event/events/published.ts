import { create } from "@bufbuild/protobuf";
import { FieldMaskSchema, timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { Event } from "../../../gen/boxoffice/event/v1/event_pb.js";
import {
  EventCancelledSchema,
  EventPublishedSchema,
  EventUpdatedSchema,
} from "../../../gen/boxoffice/event/v1/events_pb.js";
import { eventType } from "../../../platform/bus/events.js";
import type { OutboxEvent } from "../../../platform/commands/index.js";

/** The integration events the event service publishes (declared in its ServiceModule). */
export const EventPublished = eventType(EventPublishedSchema, "event");
export const EventUpdated = eventType(EventUpdatedSchema, "event");
export const EventCancelled = eventType(EventCancelledSchema, "event");
export const eventPublishes = [EventPublished, EventUpdated, EventCancelled];

/** Every event of an event's stream carries its revision as the aggregate version. */
const aggregate = (e: Event) => ({ type: "event", id: e.id, version: e.revision });

export function eventPublished(e: Event, at: Date): OutboxEvent {
  return {
    type: EventPublished,
    payload: {
      eventId: e.id,
      organizerId: e.organizerId,
      layoutVersion: e.layoutVersion,
      publishTime: timestampFromDate(at),
      salesStartTime: e.salesStartTime,
      salesEndTime: e.salesEndTime,
    },
    aggregate: aggregate(e),
  };
}

/** EventUpdated names only the fields that really changed. */
export function eventUpdated(e: Event, changed: string[], at: Date): OutboxEvent {
  return {
    type: EventUpdated,
    payload: {
      eventId: e.id,
      revision: e.revision,
      changedFields: create(FieldMaskSchema, { paths: changed }),
      updateTime: timestampFromDate(at),
      name: e.name,
      startTime: e.startTime,
      endTime: e.endTime,
    },
    aggregate: aggregate(e),
  };
}

export function eventCancelled(e: Event, reason: string, at: Date): OutboxEvent {
  return {
    type: EventCancelled,
    payload: { eventId: e.id, reason, cancelTime: timestampFromDate(at), name: e.name, startTime: e.startTime },
    aggregate: aggregate(e),
  };
}
