import { EventSchema, EventState } from "../../../gen/boxoffice/event/v1/event_pb.js";
import { UpdateEventRequestSchema } from "../../../gen/boxoffice/event/v1/event_service_pb.js";
import { command } from "../../../platform/commands/index.js";
import { AbortedError, InvalidArgumentError } from "../../../platform/errors/index.js";
import { replaceTiers } from "../db/repository.js";
import type { EventDeps } from "../deps.js";
import { applyMask, bumpsLayout, changedFields, layoutFields, maskViolations } from "../domain/event-update.js";
import { nextState } from "../domain/lifecycle.js";
import { actor } from "../domain/ownership.js";
import { eventViolations } from "../domain/validation.js";
import { eventUpdated } from "../events/published.js";
import { eventColumns, tierRows } from "../mappers.js";
import { commitChange, current, invalidate, lockOwned, required, venueFor } from "./event-change.js";

/**
 * UpdateEvent (AIP-134): the masked fields, optionally at an expected revision. A DRAFT may change
 * anything; a PUBLISHED event all but its layout, each change announced with EventUpdated.
 */
export const updateEvent = command({
  name: "event.UpdateEvent",
  input: UpdateEventRequestSchema,
  output: EventSchema,
  requestId: (req) => req.requestId,
  prepare(_d: EventDeps, principal, req) {
    const who = actor(principal);
    const paths = req.updateMask?.paths ?? [];
    const violations = maskViolations(paths);
    if (violations.length > 0) throw new InvalidArgumentError(violations);
    if (req.event === undefined || req.event.id === "") throw required("event.id");
    return { who, paths };
  },
  async execute(_d: EventDeps, w, req, { who, paths }) {
    const row = await lockOwned(w.tx, req.event!.id, who);
    if (req.expectedRevision !== 0n && BigInt(row.revision) !== req.expectedRevision) {
      throw new AbortedError(
        "REVISION_MISMATCH",
        `the event is at revision ${row.revision}, not ${req.expectedRevision}; read it again`,
        { revision: String(row.revision) },
      );
    }
    const before = await current(w, row);
    nextState(before.state, "edit");
    const next = applyMask(before, req.event!, paths);
    const changed = changedFields(paths, before, next);
    const frozen = changed.filter((p) => layoutFields.has(p));
    if (frozen.length > 0) nextState(before.state, "change-layout", frozen);
    const venueChanged = next.venueId !== before.venueId;
    const venue = await venueFor(w.tx, next.venueId, who);
    next.timeZone = venue.timeZone;
    const violations = eventViolations(next, venue.sectionIds);
    if (violations.length > 0) throw new InvalidArgumentError(violations);
    if (paths.includes("price_tiers") || venueChanged) {
      // A new venue has other sections: its prices start empty unless the same update sets them.
      const tiers = venueChanged && !paths.includes("price_tiers") ? [] : next.priceTiers;
      await replaceTiers(w.tx, row.id, tierRows(row.id, tiers));
    }
    const set = {
      ...eventColumns(next),
      city: venue.city,
      timeZone: venue.timeZone,
      layoutVersion: bumpsLayout(before.state, changed) ? row.layoutVersion + 1 : row.layoutVersion,
    };
    const announce = before.state === EventState.PUBLISHED && changed.length > 0;
    return commitChange(w, row, set, changed, who, (e, at) => (announce ? eventUpdated(e, changed, at) : undefined));
  },
  after: invalidate,
});
