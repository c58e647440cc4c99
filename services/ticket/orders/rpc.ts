import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import type { TicketInternalService } from "../../../gen/boxoffice/ticket/v1/ticket_internal_service_pb.js";
import {
  HeartbeatSchema,
  type TicketService,
  type WatchOrderResponse,
  WatchOrderResponseSchema,
} from "../../../gen/boxoffice/ticket/v1/ticket_service_pb.js";
import { principalOf } from "../../../platform/rpc/context.js";
import type { OrdersDeps } from "./deps.js";
import { cancelOrder } from "./use-cases/cancel-order.js";
import { checkIn } from "./use-cases/check-in.js";
import { checkout } from "./use-cases/checkout.js";
import { getOrder } from "./use-cases/get-order.js";
import { listOrders } from "./use-cases/list-orders.js";
import { getSalesSummary } from "./use-cases/sales-summary.js";
import { getOrderTickets, getTicket, listTickets } from "./use-cases/tickets.js";
import { watchOrder } from "./use-cases/watch-order.js";

/** The RPCs of TicketService the order half answers: principal + request → use-case → response. */
export function ordersHandlers(d: OrdersDeps, drain: AbortSignal): Partial<ServiceImpl<typeof TicketService>> {
  return {
    checkout: async (req, ctx) => ({ order: await checkout(d, principalOf(ctx), req) }),
    getOrder: async (req, ctx) => ({ order: await getOrder(d, principalOf(ctx), req) }),
    async *watchOrder(req, ctx): AsyncGenerator<WatchOrderResponse> {
      const signal = AbortSignal.any([ctx.signal, drain]);
      for await (const u of watchOrder(d, principalOf(ctx), req, signal))
        yield create(WatchOrderResponseSchema, {
          update:
            "order" in u
              ? { case: "order", value: u.order }
              : { case: "heartbeat", value: create(HeartbeatSchema, { sendTime: timestampFromDate(u.heartbeat) }) },
        });
    },
    listOrders: (req, ctx) => listOrders(d, principalOf(ctx), req),
    cancelOrder: async (req, ctx) => ({ order: await cancelOrder(d, principalOf(ctx), req) }),
    getTicket: async (req, ctx) => ({ ticket: await getTicket(d, principalOf(ctx), req) }),
    listTickets: (req, ctx) => listTickets(d, principalOf(ctx), req),
    checkIn: async (req, ctx) => ({ ticket: await checkIn(d, principalOf(ctx), req) }),
    getSalesSummary: async (req, ctx) => ({ summary: await getSalesSummary(d, principalOf(ctx), req) }),
  };
}

/** TicketInternalService (caller: notification). */
export function ordersInternal(d: OrdersDeps): ServiceImpl<typeof TicketInternalService> {
  return {
    getOrderTickets: async (req, ctx) => ({ tickets: await getOrderTickets(d, principalOf(ctx), req) }),
  };
}
