import type { Order } from "../../../../gen/boxoffice/ticket/v1/order_pb.js";
import type { GetOrderRequest } from "../../../../gen/boxoffice/ticket/v1/ticket_service_pb.js";
import { NotFoundError } from "../../../../platform/errors/index.js";
import { hasRole, type Principal, requireUser } from "../../../../platform/principal/index.js";
import { type OrderView, orderView } from "../db/orders.js";
import type { OrdersDeps } from "../deps.js";
import { toOrder } from "../mappers.js";

/** The order if `principal` may see it (its buyer or an admin); NOT_FOUND otherwise, as for no order. */
export async function visibleOrder(
  d: OrdersDeps,
  principal: Principal | undefined,
  orderId: string,
): Promise<OrderView> {
  const user = requireUser(principal);
  const v = await orderView(d.db.orm, orderId);
  if (v === undefined || (v.row.userId !== user.subject && !hasRole(user, "ADMIN")))
    throw new NotFoundError("order", orderId);
  return v;
}

/** GetOrder: the order's buyer or ROLE_ADMIN. */
export async function getOrder(d: OrdersDeps, principal: Principal | undefined, req: GetOrderRequest): Promise<Order> {
  return toOrder(await visibleOrder(d, principal, req.orderId));
}
