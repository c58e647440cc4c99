import type { ServiceContext } from "../../../platform/app/index.js";
import type { TicketDeps } from "../deps.js";
import { openSales } from "../use-cases/open-sales.js";
import { EventPublished } from "./consumed.js";

/**
 * EventPublished → materialise the inventory. Kind `latest-state`: an event is published once, and
 * the layout it names is final, so the event is a snapshot of what to sell (docs/events.md names
 * this very case). `every-fact` would be wrong here: this consumer sees only EventPublished, while
 * the aggregate's sequence counts the event's EventUpdated and EventCancelled too, so it would wait
 * for sequence numbers it never receives. Replays are deduplicated by the inbox and, beyond it,
 * by the inventory itself (an existing or cancelled one is left alone); a cancellation that
 * arrived first wins (docs/ticket.md). GetEventLayout answering UNAVAILABLE or timing out is an
 * infrastructure error: retried with backoff for as long as it takes, never dead-lettered.
 */
export function consumeEventPublished(ctx: ServiceContext<unknown>, d: TicketDeps): Promise<void> {
  return ctx.consume({
    name: "ticket.event_published",
    type: EventPublished,
    kind: "latest-state",
    // a stadium's layout is a large read and a large insert: a few at a time
    concurrency: 2,
    ackWaitMs: 120_000,
    async handle(event, scope) {
      const outcome = await openSales(d, scope, event.payload, Number(event.envelope.aggregateVersion));
      if (outcome === "conflict")
        ctx.logger.warn(
          { eventId: event.payload.eventId },
          "EventPublished names another layout version than the inventory's; left as it is",
        );
    },
  });
}
