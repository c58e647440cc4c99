import { HoldSchema } from "../../../gen/boxoffice/ticket/v1/hold_pb.js";
import { ReleaseHoldRequestSchema } from "../../../gen/boxoffice/ticket/v1/ticket_service_pb.js";
import { command } from "../../../platform/commands/index.js";
import { NotFoundError } from "../../../platform/errors/index.js";
import { hasRole, requireUser } from "../../../platform/principal/index.js";
import { holdOwner, loadHold } from "../db/holds.js";
import { transitionHold } from "../db/lifecycle.js";
import type { TicketDeps } from "../deps.js";
import { toHold } from "../mappers.js";

/**
 * ReleaseHold: an ACTIVE hold's places go back on sale at once (a compare-and-set; a hold already
 * RELEASED or EXPIRED answers as it is, one past its expire_time is recorded EXPIRED). The owner or
 * ROLE_ADMIN; anyone else gets NOT_FOUND, as for an unknown hold. A CONVERTED hold belongs to an
 * order: FAILED_PRECONDITION HOLD_NOT_ACTIVE.
 */
export const releaseHold = command({
  name: "ticket.ReleaseHold",
  input: ReleaseHoldRequestSchema,
  output: HoldSchema,
  requestId: (req) => req.requestId,
  // Its first lock is the hold row's compare-and-set, which every copy of this request takes too
  // (the owner read before it never changes): the record can be written once, at the end.
  recordAtEnd: true,
  prepare(_d: TicketDeps, principal) {
    const user = requireUser(principal);
    return { user, admin: hasRole(principal, "ADMIN") };
  },
  async execute(d: TicketDeps, w, req, { user, admin }) {
    const now = new Date(w.now);
    const owner = await holdOwner(w.tx, req.holdId);
    if (owner === undefined || (owner !== user.subject && !admin)) throw new NotFoundError("hold", req.holdId);
    const r = await transitionHold(w.tx, req.holdId, "release", now);
    if (r === undefined) throw new NotFoundError("hold", req.holdId);
    if (r.changed) w.afterCommit(() => d.notifier.changed(r.eventId, [req.holdId]));
    const hold = await loadHold(w.tx, req.holdId, now);
    if (hold === undefined) throw new NotFoundError("hold", req.holdId);
    return toHold(hold);
  },
});
