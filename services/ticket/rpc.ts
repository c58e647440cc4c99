import type { ServiceImpl } from "@connectrpc/connect";
import { TicketInternalService } from "../../gen/boxoffice/ticket/v1/ticket_internal_service_pb.js";
import { TicketService, WatchAvailabilityResponseSchema } from "../../gen/boxoffice/ticket/v1/ticket_service_pb.js";
import { principalOf } from "../../platform/rpc/context.js";
import { defineService, type ServiceRegistration, unimplementedService } from "../../platform/rpc/service.js";
import { sharedStream } from "../../platform/rpc/shared-stream.js";
import { ticketAccess, ticketInternalAccess } from "./access.js";
import type { OrdersPart, TicketDeps } from "./deps.js";
import { getAvailability } from "./use-cases/get-availability.js";
import { holdSeats } from "./use-cases/hold-seats.js";
import { releaseHold } from "./use-cases/release-hold.js";
import { watchAvailability } from "./use-cases/watch-availability.js";

const pending = "the order half of the ticket service (checkout, orders, tickets) is not built yet";

/**
 * The RPC layer of the ticket service: the caller's principal and the request go to the use-case,
 * its result into the response. Access is declared in access.ts; errors map in the platform. The
 * inventory half's four RPCs are served here; the order half's come from `orders` (createOrders,
 * wired in index.ts) and answer UNIMPLEMENTED until it is.
 */
export function ticketServices(d: TicketDeps, orders: OrdersPart | undefined): ServiceRegistration[] {
  const inventory: Pick<
    ServiceImpl<typeof TicketService>,
    "getAvailability" | "watchAvailability" | "holdSeats" | "releaseHold"
  > = {
    getAvailability: async (req, ctx) => ({ availability: await getAvailability(d, principalOf(ctx), req) }),
    watchAvailability: (req, ctx) =>
      watchAvailability(d, principalOf(ctx), req, ctx.signal, sharedStream(ctx, WatchAvailabilityResponseSchema)),
    holdSeats: async (req, ctx) => ({ hold: await holdSeats(d, principalOf(ctx), req) }),
    releaseHold: async (req, ctx) => ({ hold: await releaseHold(d, principalOf(ctx), req) }),
  };
  const unbuilt = unimplementedService(TicketService, ticketAccess.access, pending).impl;
  // `unbuilt` answers every RPC (UNIMPLEMENTED), so the merged implementation is complete
  const impl = { ...unbuilt, ...orders?.handlers, ...inventory } as ServiceImpl<typeof TicketService>;
  return [
    defineService(TicketService, ticketAccess.access, impl),
    orders === undefined
      ? unimplementedService(TicketInternalService, ticketInternalAccess.access, pending)
      : defineService(TicketInternalService, ticketInternalAccess.access, orders.internal),
  ];
}
