import { TicketSchema } from "../../../../gen/boxoffice/ticket/v1/ticket_pb.js";
import { CheckInRequestSchema } from "../../../../gen/boxoffice/ticket/v1/ticket_service_pb.js";
import { command } from "../../../../platform/commands/index.js";
import { NotFoundError } from "../../../../platform/errors/index.js";
import { requireUser } from "../../../../platform/principal/index.js";
import { admit, findTicket } from "../db/tickets.js";
import type { OrdersDeps } from "../deps.js";
import { assertDoorStaff, refusalOf, seesCode, type TicketState } from "../domain/check-in.js";
import { UnknownCodeError } from "../domain/errors.js";
import { toTicket } from "../mappers.js";
import { verifyCode } from "../ticket-keys.js";

/**
 * CheckIn(event, code) at the door. The signature is checked before anything touches the database
 * (malformed → INVALID_ARGUMENT; forged, tampered, an unknown key or another event's code →
 * NOT_FOUND), then the caller must be the event's organiser or an admin, then one conditional
 * UPDATE admits the ticket: of two gates scanning the same code at once, one wins and the other is
 * told ALREADY_CHECKED_IN with the first scan's time. A repeat of the same request_id (a gate
 * retrying after a lost answer) replays the admission.
 */
export const checkIn = command({
  name: "ticket.CheckIn",
  input: CheckInRequestSchema,
  output: TicketSchema,
  requestId: (req) => req.requestId,
  prepare(d: OrdersDeps, principal, req) {
    const user = requireUser(principal);
    const verdict = verifyCode(d.keys.keys, req.code);
    if (!verdict.valid || verdict.claims.eventId !== req.eventId) throw new UnknownCodeError(req.eventId);
    return { user, ticketId: verdict.claims.ticketId };
  },
  async execute(d: OrdersDeps, w, req, { user, ticketId }) {
    const inv = await d.inventory.loadInventory(w.tx, req.eventId);
    if (inv === undefined) throw new NotFoundError("event", req.eventId);
    assertDoorStaff(user, inv.organizerId);
    const now = new Date(w.now);
    if (!(await admit(w.tx, ticketId, req.eventId, now, user.subject))) {
      const t = await findTicket(w.tx, ticketId);
      throw refusalOf(req.eventId, t?.eventId === req.eventId ? { ...t, state: t.state as TicketState } : undefined);
    }
    const t = (await findTicket(w.tx, ticketId))!;
    return toTicket(t, seesCode(user, t.userId));
  },
});
