import type { ServiceContext } from "../../../platform/app/index.js";
import type { TicketDeps } from "../deps.js";
import { stopSales } from "../use-cases/stop-sales.js";
import { EventCancelled } from "./consumed.js";

/**
 * EventCancelled → stop sales at once. Kind `latest-state`: cancellation is terminal and its effect
 * idempotent (and it may arrive before EventPublished: the inventory remembers it).
 */
export function consumeEventCancelled(ctx: ServiceContext<unknown>, d: TicketDeps): Promise<void> {
  return ctx.consume({
    name: "ticket.event_cancelled",
    type: EventCancelled,
    kind: "latest-state",
    async handle(event, scope) {
      await stopSales(d, scope, event.payload);
    },
  });
}
