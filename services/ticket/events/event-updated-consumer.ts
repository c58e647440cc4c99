import type { ServiceContext } from "../../../platform/app/index.js";
import type { TicketDeps } from "../deps.js";
import { applyEventUpdate } from "../use-cases/apply-event-update.js";
import { EventUpdated } from "./consumed.js";

/**
 * EventUpdated → prices for new holds and the event's summary. Kind `latest-state`: each update
 * carries (or lets us read) the event as it now is, so an older revision than one applied says
 * less and is skipped; the writes are guarded by the revision too.
 */
export function consumeEventUpdated(ctx: ServiceContext<unknown>, d: TicketDeps): Promise<void> {
  return ctx.consume({
    name: "ticket.event_updated",
    type: EventUpdated,
    kind: "latest-state",
    async handle(event, scope) {
      await applyEventUpdate(d, scope, event.payload);
    },
  });
}
