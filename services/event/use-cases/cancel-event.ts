import { EventSchema, EventState } from "../../../gen/boxoffice/event/v1/event_pb.js";
import { CancelEventRequestSchema } from "../../../gen/boxoffice/event/v1/event_service_pb.js";
import { command } from "../../../platform/commands/index.js";
import { InvalidArgumentError } from "../../../platform/errors/index.js";
import type { EventDeps } from "../deps.js";
import { nextState, storedName } from "../domain/lifecycle.js";
import { actor } from "../domain/ownership.js";
import { eventCancelled } from "../events/published.js";
import { commitChange, current, invalidate, lockOwned } from "./event-change.js";

/**
 * CancelEvent: DRAFT or PUBLISHED → CANCELLED with a reason ticket holders are told. EventCancelled
 * only for an event that was published: nobody outside heard of a draft (it stays private).
 */
export const cancelEvent = command({
  name: "event.CancelEvent",
  input: CancelEventRequestSchema,
  output: EventSchema,
  requestId: (req) => req.requestId,
  prepare(_d: EventDeps, principal, req) {
    const who = actor(principal);
    if (req.reason.trim() === "")
      throw new InvalidArgumentError([
        { field: "reason", description: "required: ticket holders are told why", reason: "REQUIRED" },
      ]);
    if (req.reason.length > 500)
      throw new InvalidArgumentError([{ field: "reason", description: "at most 500 characters", reason: "TOO_LONG" }]);
    return who;
  },
  async execute(_d: EventDeps, w, req, who) {
    const row = await lockOwned(w.tx, req.eventId, who);
    nextState((await current(w, row)).state, "cancel");
    const set = { state: storedName(EventState.CANCELLED), cancelTime: new Date(w.now), cancelReason: req.reason };
    const wasPublished = row.publishTime !== null;
    return commitChange(w, row, set, ["state"], who, (e, at) =>
      wasPublished ? eventCancelled(e, req.reason, at) : undefined,
    );
  },
  after: invalidate,
});
