import type { Order } from "../../../../gen/boxoffice/ticket/v1/order_pb.js";
import { OrderState } from "../../../../gen/boxoffice/ticket/v1/order_pb.js";
import type { ListOrdersRequest } from "../../../../gen/boxoffice/ticket/v1/ticket_service_pb.js";
import { InvalidArgumentError } from "../../../../platform/errors/index.js";
import { pageSize } from "../../../../platform/paging/index.js";
import { hasRole, type Principal, requireUser } from "../../../../platform/principal/index.js";
import { listOrders as queryOrders, withDetails } from "../db/orders.js";
import type { OrdersDeps } from "../deps.js";
import type { OrderState as StoredState } from "../domain/order.js";
import { storedOrderState, toOrder } from "../mappers.js";

/**
 * ListOrders (AIP-158), newest first. Whose: the caller's own; with event_id of an event the caller
 * organises, every order of that event; ROLE_ADMIN every order (of the event when given).
 */
export async function listOrders(
  d: OrdersDeps,
  principal: Principal | undefined,
  req: ListOrdersRequest,
): Promise<{ orders: Order[]; nextPageToken: string }> {
  const user = requireUser(principal);
  const size = pageSize(req.pageSize);
  if (req.states.includes(OrderState.UNSPECIFIED))
    throw new InvalidArgumentError([
      { field: "states", description: "ORDER_STATE_UNSPECIFIED is not a state", reason: "INVALID" },
    ]);
  const states = [...new Set(req.states.map(storedOrderState).filter((s): s is StoredState => s !== undefined))].sort();
  let everyone = hasRole(user, "ADMIN");
  if (!everyone && req.eventId !== "" && hasRole(user, "ORGANIZER")) {
    const inv = await d.inventory.loadInventory(d.db.orm, req.eventId);
    everyone = inv?.organizerId === user.subject;
  }
  const filters = { u: everyone ? null : user.subject, e: req.eventId || null, s: states };
  const cursor = d.pageTokens.decode<{ t: number; id: string }>(req.pageToken, filters);
  const rows = await queryOrders(d.db.orm, {
    userId: everyone ? undefined : user.subject,
    eventId: req.eventId || undefined,
    states,
    after: cursor === undefined ? undefined : { createMs: cursor.t, id: cursor.id },
    limit: size + 1,
  });
  const page = rows.slice(0, size);
  const last = page.at(-1);
  return {
    orders: (await withDetails(d.db.orm, page)).map(toOrder),
    nextPageToken:
      rows.length > size && last !== undefined
        ? d.pageTokens.encode({ t: last.createTime.getTime(), id: last.id }, filters)
        : "",
  };
}
