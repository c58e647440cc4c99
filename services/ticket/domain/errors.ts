/**
 * The ticket service's refusals, as named domain errors. The RPC layer turns them into canonical
 * codes with `google.rpc.ErrorInfo` (reason + metadata) in one place (platform/errors → the RPC layer).
 */
import {
  FailedPreconditionError,
  InvalidArgumentError,
  ResourceExhaustedError,
  UnavailableError,
} from "../../../platform/errors/index.js";

/** The event is not on sale now: cancelled, not yet open or already closed. */
export class SalesClosedError extends FailedPreconditionError {
  constructor(
    readonly eventId: string,
    readonly why: "CANCELLED" | "NOT_OPEN_YET" | "CLOSED",
  ) {
    super("SALES_CLOSED", `event ${eventId} is not on sale (${why.toLowerCase().replace(/_/g, " ")})`, {
      event_id: eventId,
      why,
    });
  }
}

/** Some place asked for is not available; nothing was held. `available` is what is left there. */
export class SeatsUnavailableError extends FailedPreconditionError {
  constructor(
    readonly sectionId: string,
    readonly available: number,
  ) {
    super("SEATS_UNAVAILABLE", `not enough places available in section ${sectionId} (${available} left)`, {
      section_id: sectionId,
      available: String(available),
    });
  }
}

/**
 * Too many buyers at once on one general-admission section: the hold waited its bound for a counter
 * row other buyers kept locked, and nothing was held. RESOURCE_EXHAUSTED, not UNAVAILABLE: the
 * database is fine and the section is not sold out; the server's capacity for this section is
 * used up right now, so the client backs off for the RetryInfo pause and asks again (retries that
 * UNAVAILABLE would trigger at once — the mesh's, a client library's — only lengthen the queue).
 */
export class SectionBusyError extends ResourceExhaustedError {
  constructor(readonly sectionId: string) {
    super("SECTION_BUSY", `too many buyers at once in section ${sectionId}; try again shortly`, 500);
    this.metadata.section_id = sectionId;
  }
}

/** The buyer's places for this event (active hold plus pending and confirmed orders) would pass the cap. */
export class BuyerLimitError extends FailedPreconditionError {
  constructor(
    readonly limit: number,
    readonly alreadyHeld: number,
  ) {
    super(
      "BUYER_LIMIT_REACHED",
      `at most ${limit} places per buyer for this event (${alreadyHeld} already in orders)`,
      { limit: String(limit), in_orders: String(alreadyHeld), remaining: String(Math.max(0, limit - alreadyHeld)) },
    );
  }
}

/** More places in one hold than the event's max_tickets_per_order (a malformed request). */
export class OrderLimitError extends InvalidArgumentError {
  constructor(
    readonly limit: number,
    readonly asked: number,
  ) {
    super([
      {
        field: "items",
        description: `at most ${limit} places per order, ${asked} asked`,
        reason: "TOO_MANY_PLACES",
      },
    ]);
  }
}

/** A transition a hold in this state refuses (e.g. releasing or converting a CONVERTED hold). */
export class HoldNotActiveError extends FailedPreconditionError {
  constructor(
    readonly holdId: string,
    readonly state: string,
  ) {
    super("HOLD_NOT_ACTIVE", `hold ${holdId} is ${state.toLowerCase()}`, { hold_id: holdId, state });
  }
}

/**
 * Checkout could not charge: payment was unreachable or its provider down, and nothing was
 * charged. The order (`order_id`) waits PENDING_PAYMENT; a retry of Checkout with the same
 * request_id charges it (reconciliation fails it, places back, when nobody retries).
 */
export class PaymentUnavailableError extends UnavailableError {
  constructor(readonly orderId: string) {
    super(
      "PAYMENT_UNAVAILABLE",
      "payment is unavailable and nothing was charged; retry Checkout with the same request_id",
      1000,
    );
    this.metadata.order_id = orderId;
  }
}
