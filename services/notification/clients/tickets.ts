/**
 * The tickets of an order with their check-in codes: ticket's TicketInternalService.GetOrderTickets,
 * called with this service's identity through ctx.client. Codes admit people, so they stay off the
 * event bus (which keeps events for days and copies them to dead letters) and are read here, once,
 * when the confirmation is queued.
 */
import { type Client, Code, ConnectError } from "@connectrpc/connect";
import type { TicketInternalService } from "../../../gen/boxoffice/ticket/v1/ticket_internal_service_pb.js";
import type { Ticket } from "../../../gen/boxoffice/ticket/v1/ticket_pb.js";
import { TransientError } from "../../../platform/bus/consumer-errors.js";

export interface TicketDirectory {
  /**
   * The order's issued tickets. UNAVAILABLE, timeouts and an open breaker reach the consumer as
   * infrastructure errors (retried for as long as it takes, never dead-lettered); so do refusals of
   * this service's identity, which a configuration fix ends. Anything else (NOT_FOUND) is the
   * handler's error: retried a few times, then dead-lettered for an operator.
   */
  orderTickets(orderId: string): Promise<Ticket[]>;
}

export function ticketDirectory(tickets: Client<typeof TicketInternalService>): TicketDirectory {
  return {
    async orderTickets(orderId) {
      try {
        return (await tickets.getOrderTickets({ orderId })).tickets;
      } catch (e) {
        const code = ConnectError.from(e).code;
        if (code === Code.Unauthenticated || code === Code.PermissionDenied)
          throw new TransientError(
            `ticket refused this service's identity (${Code[code]}): check the service secrets`,
            {
              cause: e,
            },
          );
        throw e;
      }
    },
  };
}
