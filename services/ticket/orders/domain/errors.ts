/**
 * The order half's refusals, as named domain errors with stable reasons (ErrorInfo domain
 * `ticket.boxoffice`); the platform turns them into canonical codes in one place.
 */
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from "../../../../platform/errors/index.js";

/** CancelOrder of an order that is already FAILED or CANCELLED. */
export class OrderNotCancellableError extends FailedPreconditionError {
  constructor(orderId: string, state: string) {
    super("ORDER_NOT_CANCELLABLE", `order ${orderId} is ${state.toLowerCase()} and cannot be cancelled`, {
      order_id: orderId,
      state,
    });
  }
}

/** CancelOrder after the event has started. */
export class EventStartedError extends FailedPreconditionError {
  constructor(eventId: string, startTime: Date) {
    super(
      "EVENT_STARTED",
      `event ${eventId} started at ${startTime.toISOString()}: orders can no longer be cancelled`,
      {
        event_id: eventId,
        start_time: startTime.toISOString(),
      },
    );
  }
}

/** CancelOrder of an order one of whose tickets was used at the door. */
export class TicketCheckedInError extends FailedPreconditionError {
  constructor(orderId: string, ticketId: string) {
    super("TICKET_CHECKED_IN", `order ${orderId} has a ticket that was checked in (${ticketId})`, {
      order_id: orderId,
      ticket_id: ticketId,
    });
  }
}

/** A second scan of a ticket: `first_check_in_time` says when the first one admitted it. */
export class AlreadyCheckedInError extends FailedPreconditionError {
  constructor(ticketId: string, firstCheckIn: Date) {
    super("ALREADY_CHECKED_IN", `ticket ${ticketId} was already checked in at ${firstCheckIn.toISOString()}`, {
      ticket_id: ticketId,
      first_check_in_time: firstCheckIn.toISOString(),
    });
  }
}

/** A scan of a ticket that no longer admits anyone (its order or the event was cancelled). */
export class TicketVoidError extends FailedPreconditionError {
  constructor(ticketId: string) {
    super("TICKET_VOID", `ticket ${ticketId} is void`, { ticket_id: ticketId });
  }
}

/** A check-in code that is not one of ours at all (bad characters, wrong length, unknown version). */
export class MalformedCodeError extends InvalidArgumentError {
  constructor(why: string) {
    super([{ field: "code", description: `not a ticket code: ${why}`, reason: "MALFORMED_CODE" }]);
  }
}

/**
 * A well-formed code that admits nobody here: a forged or tampered signature, a key we never
 * published, another event's ticket, or a ticket we have no record of. One answer for all, so a
 * scan tells a forger nothing.
 */
export class UnknownCodeError extends NotFoundError {
  constructor(eventId: string) {
    super("ticket", "(code)", "TICKET_NOT_FOUND");
    this.metadata.event_id = eventId;
    delete this.metadata.ticket_id;
  }
}
