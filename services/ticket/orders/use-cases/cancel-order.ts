import { OrderSchema } from "../../../../gen/boxoffice/ticket/v1/order_pb.js";
import { CancelOrderRequestSchema } from "../../../../gen/boxoffice/ticket/v1/ticket_service_pb.js";
import { command } from "../../../../platform/commands/index.js";
import { NotFoundError } from "../../../../platform/errors/index.js";
import { hasRole, requireUser } from "../../../../platform/principal/index.js";
import { lockOrder, orderView } from "../db/orders.js";
import { lockTicketsOfOrder } from "../db/tickets.js";
import type { OrdersDeps } from "../deps.js";
import { assertCancellable, type OrderState } from "../domain/order.js";
import { toOrder } from "../mappers.js";
import { cancelOrderIn, currentSummary } from "./order-changes.js";
import { sendRefunds } from "./refunds.js";

/**
 * CancelOrder: a PENDING_PAYMENT or CONFIRMED order, before the event starts, none of its tickets
 * used → CANCELLED, tickets VOID, places back on sale, a paid order refunded in full (owed in the
 * same transaction and sent right after the commit; the refund job retries it if payment is away),
 * OrderCancelled. A charge that succeeds after the cancel is refunded too (applyPaymentFact). The
 * buyer or ROLE_ADMIN.
 */
export const cancelOrder = command({
  name: "ticket.CancelOrder",
  input: CancelOrderRequestSchema,
  output: OrderSchema,
  requestId: (req) => req.requestId,
  prepare: (_d: OrdersDeps, principal) => requireUser(principal),
  async execute(d: OrdersDeps, w, req, user) {
    const row = await lockOrder(w.tx, req.orderId);
    if (row === undefined || (row.userId !== user.subject && !hasRole(user, "ADMIN")))
      throw new NotFoundError("order", req.orderId);
    const { summary } = await currentSummary(d, w, row.eventId);
    const used = (await lockTicketsOfOrder(w.tx, row.id)).find((t) => t.state === "CHECKED_IN");
    assertCancellable(
      { id: row.id, eventId: row.eventId, state: row.state as OrderState },
      { now: new Date(w.now), eventStart: summary.startTime, checkedInTicket: used?.id },
    );
    await cancelOrderIn(d, w, row, { reason: req.reason.trim(), eventCancelled: false, summary });
    return toOrder((await orderView(w.tx, row.id))!);
  },
  // the refund right away (bounded); the job sends what this could not
  async after(d, order) {
    await sendRefunds(d, { orderId: order.id }).catch((err: unknown) =>
      d.logger.warn({ err, orderId: order.id }, "refund after cancel not sent yet; the refund job retries"),
    );
  },
});
