import type { Order } from "../../../../gen/boxoffice/ticket/v1/order_pb.js";
import type { WatchOrderRequest } from "../../../../gen/boxoffice/ticket/v1/ticket_service_pb.js";
import type { Principal } from "../../../../platform/principal/index.js";
import { orderView } from "../db/orders.js";
import type { OrdersDeps } from "../deps.js";
import { isFinal, type OrderState } from "../domain/order.js";
import { toOrder } from "../mappers.js";
import { visibleOrder } from "./get-order.js";

export type WatchUpdate = { readonly order: Order } | { readonly heartbeat: Date };

/**
 * WatchOrder: the order now, then every change (woken at once by changes committed in this process,
 * re-read every `watchPollMs` for changes made elsewhere), a heartbeat after `watchHeartbeatMs`
 * without a message; ends right after a CONFIRMED, FAILED or CANCELLED order, or when `signal`
 * aborts (the client left, or the server drains).
 */
export async function* watchOrder(
  d: OrdersDeps,
  principal: Principal | undefined,
  req: WatchOrderRequest,
  signal: AbortSignal,
): AsyncGenerator<WatchUpdate> {
  let v = await visibleOrder(d, principal, req.orderId);
  let sentVersion = v.row.version;
  let sentAt = d.clock.now();
  yield { order: toOrder(v) };
  while (!isFinal(v.row.state as OrderState) && !signal.aborted) {
    const quietFor = d.clock.now() - sentAt;
    const heartbeatIn = Math.max(0, d.settings.watchHeartbeatMs - quietFor);
    await d.watch.wait(v.row.id, Math.min(d.settings.watchPollMs, heartbeatIn), signal);
    if (signal.aborted) return;
    const next = await orderView(d.db.orm, v.row.id);
    if (next === undefined) return;
    v = next;
    if (v.row.version !== sentVersion) {
      sentVersion = v.row.version;
      sentAt = d.clock.now();
      yield { order: toOrder(v) };
    } else if (d.clock.now() - sentAt >= d.settings.watchHeartbeatMs) {
      sentAt = d.clock.now();
      yield { heartbeat: new Date(sentAt) };
    }
  }
}
