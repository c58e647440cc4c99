/** GetTicket, ListTickets and TicketInternalService.GetOrderTickets: reads of issued tickets. */

import type { GetOrderTicketsRequest } from "../../../../gen/boxoffice/ticket/v1/ticket_internal_service_pb.js";
import type { Ticket } from "../../../../gen/boxoffice/ticket/v1/ticket_pb.js";
import type { GetTicketRequest, ListTicketsRequest } from "../../../../gen/boxoffice/ticket/v1/ticket_service_pb.js";
import { NotFoundError, PermissionDeniedError } from "../../../../platform/errors/index.js";
import { pageSize } from "../../../../platform/paging/index.js";
import { hasRole, type Principal, requireService, requireUser } from "../../../../platform/principal/index.js";
import { findOrder } from "../db/orders.js";
import { findTicket, listTickets as queryTickets, ticketsOfOrder } from "../db/tickets.js";
import type { OrdersDeps } from "../deps.js";
import { seesCode } from "../domain/check-in.js";
import { toTicket } from "../mappers.js";

/** GetTicket: its holder and admins (with the code), the event's organiser (without); NOT_FOUND for anyone else. */
export async function getTicket(
  d: OrdersDeps,
  principal: Principal | undefined,
  req: GetTicketRequest,
): Promise<Ticket> {
  const user = requireUser(principal);
  const t = await findTicket(d.db.orm, req.ticketId);
  if (t === undefined) throw new NotFoundError("ticket", req.ticketId);
  if (seesCode(user, t.userId)) return toTicket(t, true);
  if (hasRole(user, "ORGANIZER")) {
    const inv = await d.inventory.loadInventory(d.db.orm, t.eventId);
    if (inv?.organizerId === user.subject) return toTicket(t, false);
  }
  throw new NotFoundError("ticket", req.ticketId);
}

/** ListTickets: the caller's own tickets, newest first (ROLE_ADMIN: any user's, with user_id). */
export async function listTickets(
  d: OrdersDeps,
  principal: Principal | undefined,
  req: ListTicketsRequest,
): Promise<{ tickets: Ticket[]; nextPageToken: string }> {
  const user = requireUser(principal);
  const size = pageSize(req.pageSize);
  if (req.userId !== "" && req.userId !== user.subject && !hasRole(user, "ADMIN"))
    throw new PermissionDeniedError("only an admin lists another user's tickets", "NOT_YOUR_TICKETS");
  const whose = req.userId || user.subject;
  const filters = { u: whose, e: req.eventId || null };
  const cursor = d.pageTokens.decode<{ t: number; id: string }>(req.pageToken, filters);
  const rows = await queryTickets(d.db.orm, {
    userId: whose,
    eventId: req.eventId || undefined,
    after: cursor === undefined ? undefined : { issueMs: cursor.t, id: cursor.id },
    limit: size + 1,
  });
  const page = rows.slice(0, size);
  const last = page.at(-1);
  return {
    tickets: page.map((t) => toTicket(t, seesCode(user, t.userId))),
    nextPageToken:
      rows.length > size && last !== undefined
        ? d.pageTokens.encode({ t: last.issueTime.getTime(), id: last.id }, filters)
        : "",
  };
}

/** GetOrderTickets (internal, notification): an order's tickets with their codes; NOT_FOUND for no order. */
export async function getOrderTickets(
  d: OrdersDeps,
  principal: Principal | undefined,
  req: GetOrderTicketsRequest,
): Promise<Ticket[]> {
  requireService(principal);
  if ((await findOrder(d.db.orm, req.orderId)) === undefined) throw new NotFoundError("order", req.orderId);
  return (await ticketsOfOrder(d.db.orm, req.orderId)).map((t) => toTicket(t, true));
}
