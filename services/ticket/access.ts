import { TicketInternalService } from "../../gen/boxoffice/ticket/v1/ticket_internal_service_pb.js";
import { TicketService } from "../../gen/boxoffice/ticket/v1/ticket_service_pb.js";
import { access, critical, sheddable } from "../../platform/rpc/access.js";
import { contract } from "../../platform/rpc/service.js";

/** Who may call each RPC of the ticket service (the mesh policies are rendered from this). */
export const ticketAccess = contract(TicketService, {
  getAvailability: sheddable(access.public()),
  watchAvailability: access.public(),
  // starts new work: refused before the calls that finish work a buyer already started
  holdSeats: access.user(),
  // these finish a buyer's started work (ReleaseHold also puts places back on sale)
  releaseHold: critical(access.user()),
  checkout: critical(access.user()),
  getOrder: sheddable(access.user()),
  watchOrder: access.user(),
  listOrders: sheddable(access.user()),
  cancelOrder: critical(access.user()),
  getTicket: sheddable(access.user()),
  checkIn: access.roles("ORGANIZER", "ADMIN"),
  listTickets: sheddable(access.user()),
  getSalesSummary: sheddable(access.roles("ORGANIZER", "ADMIN")),
});

/** Internal reads: the tickets (with codes) of an order, for the confirmation email. */
export const ticketInternalAccess = contract(TicketInternalService, {
  getOrderTickets: access.internal("notification"),
});

export const ticketContracts = [ticketAccess, ticketInternalAccess];
