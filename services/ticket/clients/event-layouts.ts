import { EventInternalService } from "../../../gen/boxoffice/event/v1/event_internal_service_pb.js";
import type { EventLayout } from "../../../gen/boxoffice/event/v1/event_pb.js";
import type { ServiceContext } from "../../../platform/app/index.js";
import type { EventLayouts } from "../deps.js";

/**
 * The event service's published layouts over gRPC, as the ticket service (its service token) and
 * under the process's resilience policy (timeout, retries on UNAVAILABLE, a breaker). A failure
 * reaches the consumer as the call's ConnectError: UNAVAILABLE, DEADLINE_EXCEEDED and an open
 * breaker are infrastructure errors there (retried with backoff, never dead-lettered).
 */
export function eventLayouts(ctx: ServiceContext<unknown>): EventLayouts {
  const client = ctx.client(EventInternalService, "event");
  return {
    async fetch(eventId: string, layoutVersion: bigint): Promise<EventLayout> {
      const { layout } = await client.getEventLayout({ eventId, layoutVersion });
      if (layout === undefined) throw new Error(`GetEventLayout(${eventId}) answered without a layout`);
      return layout;
    },
  };
}
