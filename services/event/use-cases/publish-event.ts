import { timestampMs } from "@bufbuild/protobuf/wkt";
import { EventSchema, EventState } from "../../../gen/boxoffice/event/v1/event_pb.js";
import { PublishEventRequestSchema } from "../../../gen/boxoffice/event/v1/event_service_pb.js";
import { command } from "../../../platform/commands/index.js";
import { venueFacts } from "../db/repository.js";
import type { EventDeps } from "../deps.js";
import { publish, storedName } from "../domain/lifecycle.js";
import { actor } from "../domain/ownership.js";
import { eventPublished } from "../events/published.js";
import { commitChange, current, invalidate, lockOwned } from "./event-change.js";

/** PublishEvent: DRAFT → PUBLISHED once it is complete (see domain/lifecycle.ts#publish); EventPublished. */
export const publishEvent = command({
  name: "event.PublishEvent",
  input: PublishEventRequestSchema,
  output: EventSchema,
  requestId: (req) => req.requestId,
  prepare: (_d: EventDeps, principal) => actor(principal),
  async execute(_d: EventDeps, w, req, who) {
    const row = await lockOwned(w.tx, req.eventId, who);
    const event = await current(w, row);
    const venue = await venueFacts(w.tx, row.venueId);
    const priced = new Set(event.priceTiers.map((t) => t.sectionId));
    publish(
      {
        state: event.state,
        startMs: row.startTime.getTime(),
        salesStartMs: event.salesStartTime && timestampMs(event.salesStartTime),
        salesEndMs: event.salesEndTime && timestampMs(event.salesEndTime),
        unpricedSectionIds: [...(venue?.sectionIds ?? [])].filter((s) => !priced.has(s)),
      },
      w.now,
    );
    const set = { state: storedName(EventState.PUBLISHED), publishTime: new Date(w.now) };
    return commitChange(w, row, set, ["state"], who, eventPublished);
  },
  after: invalidate,
});
