import type { Order } from "../../../../gen/boxoffice/ticket/v1/order_pb.js";
import type { WatchOrderRequest } from "../../../../gen/boxoffice/ticket/v1/ticket_service_pb.js";
import type { Principal } from "../../../../platform/principal/index.js";
import { orderView } from "../db/orders.js";
import type { OrdersDeps } from "../deps.js";
import { isFinal, type OrderState } from "../domain/order.js";
import { toOrder } from "../mappers.js";
import { visibleOrder } from "./get-order.js";

export type WatchUpdate = { readonly order: Order } | { readonly heartbeat: Date };

/** The slow safety re-read, spread over ±25 % so streams opened together do not re-read together. */
function rereadIn(ms: number): number {
  return Math.round(ms * (0.75 + Math.random() * 0.5));
}

/**
 * WatchOrder: the order now, then every change, a heartbeat after `watchHeartbeatMs` without a
 * message; ends right after a CONFIRMED, FAILED or CANCELLED order, or when `signal` aborts (the
 * client left, or the server drains). The order is read again only when a change notice names it
 * (a commit in this process, or another replica's notice through Redis: watch.ts) and on a slow
 * safety timer (`watchPollMs`, jittered) for notices lost while Redis was away — not once a second
 * per stream: a crowd of buyers waiting for their orders is then no load on the database.
 */
export async function* watchOrder(
  d: OrdersDeps,
  principal: Principal | undefined,
  req: WatchOrderRequest,
  signal: AbortSignal,
): AsyncGenerator<WatchUpdate> {
  // interest before the first read: a change committed in between still wakes the first wait
  let sub = d.watch.subscribe(req.orderId);
  try {
    let v = await visibleOrder(d, principal, req.orderId);
    if (v.row.id !== req.orderId) {
      // the id as stored is what commits announce; one extra read covers the moment in between
      sub.close();
      sub = d.watch.subscribe(v.row.id);
      sub.notify();
    }
    let sentVersion = v.row.version;
    let sentAt = d.clock.now();
    let rereadAt = sentAt + rereadIn(d.settings.watchPollMs);
    yield { order: toOrder(v) };
    while (!isFinal(v.row.state as OrderState) && !signal.aborted) {
      const now = d.clock.now();
      const wakeAt = Math.min(rereadAt, sentAt + d.settings.watchHeartbeatMs);
      const why = await sub.wait(Math.max(0, wakeAt - now), signal);
      if (why === "aborted" || signal.aborted) return;
      if (why === "changed" || d.clock.now() >= rereadAt) {
        rereadAt = d.clock.now() + rereadIn(d.settings.watchPollMs);
        const next = await orderView(d.db.orm, v.row.id);
        if (next === undefined) return;
        v = next;
        if (v.row.version !== sentVersion) {
          sentVersion = v.row.version;
          sentAt = d.clock.now();
          yield { order: toOrder(v) };
          continue;
        }
      }
      if (d.clock.now() - sentAt >= d.settings.watchHeartbeatMs) {
        sentAt = d.clock.now();
        yield { heartbeat: new Date(sentAt) };
      }
    }
  } finally {
    sub.close();
  }
}
