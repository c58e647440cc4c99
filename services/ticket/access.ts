import { TicketInternalService } from "../../gen/boxoffice/ticket/v1/ticket_internal_service_pb.js";
import { TicketService } from "../../gen/boxoffice/ticket/v1/ticket_service_pb.js";
import { access } from "../../platform/rpc/access.js";
import { contract } from "../../platform/rpc/service.js";

/** Who may call each RPC of the ticket service (the mesh policies are rendered from this). */
export const ticketAccess = contract(TicketService, {
  getAvailability: access.public(),
  watchAvailability: access.public(),
  holdSeats: access.user(),
  releaseHold: access.user(),
  checkout: access.user(),
  getOrder: access.user(),
  watchOrder: access.user(),
  listOrders: access.user(),
  cancelOrder: access.user(),
  getTicket: access.user(),
  checkIn: access.roles("ORGANIZER", "ADMIN"),
  listTickets: access.user(),
  getSalesSummary: access.roles("ORGANIZER", "ADMIN"),
});

/** Internal reads: the tickets (with codes) of an order, for the confirmation email. */
export const ticketInternalAccess = contract(TicketInternalService, {
  getOrderTickets: access.internal("notification"),
});

export const ticketContracts = [ticketAccess, ticketInternalAccess];
