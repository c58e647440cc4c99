/**
 * Checkout(hold, payment token, request_id), a multi-step command (docs/service-template.md):
 *
 * 1. `place-order` (transaction): the caller's ACTIVE hold becomes CONVERTED and an order
 *    PENDING_PAYMENT is recorded with its lines; the places stay taken.
 * 2. `charge` (call): PaymentInternalService.Charge with idempotency key = the order id, amount =
 *    the hold's total, under the client's resilience policy.
 * 3. `settle` (transaction): SUCCEEDED → CONFIRMED + tickets; FAILED → FAILED + places back.
 *
 * A charge that certainly took nothing (payment unreachable, its provider down, our breaker on it
 * open) records nothing for step 2 and answers UNAVAILABLE `PAYMENT_UNAVAILABLE` with the order id:
 * the order waits PENDING_PAYMENT, and a retry with the same request_id replays step 1 and charges
 * then — a payment restart costs the buyer a retry, not the order (reconciliation fails an order
 * nobody retried, nothing charged). An unknown outcome (a timeout, a process killed mid-call)
 * records nothing either but answers the order as it stands (PENDING_PAYMENT): the Payment*
 * consumer or the reconciliation sweeper settles it. A repeat with the same request_id replays the steps
 * already recorded and answers the order as it stands now; a concurrent duplicate waits for step 1
 * on its idempotency record, then for the charge inside payment (same key), up to its deadline.
 */
import { create } from "@bufbuild/protobuf";
import { type Payment, PaymentSchema } from "../../../../gen/boxoffice/payment/v1/payment_pb.js";
import { type Order, OrderSchema } from "../../../../gen/boxoffice/ticket/v1/order_pb.js";
import { CheckoutRequestSchema } from "../../../../gen/boxoffice/ticket/v1/ticket_service_pb.js";
import { multiStepCommand, type WriteScope } from "../../../../platform/commands/index.js";
import { InvalidArgumentError, NotFoundError } from "../../../../platform/errors/index.js";
import { requireUser } from "../../../../platform/principal/index.js";
import { HoldNotActiveError, PaymentUnavailableError, SalesClosedError } from "../../domain/errors.js";
import { factOf } from "../clients/payments.js";
import {
  insertOrder,
  lockOrder,
  type OrderRow,
  orderState,
  orderView,
  postponeCheck,
  withDetails,
} from "../db/orders.js";
import { eventCancelled } from "../db/work.js";
import type { OrdersDeps } from "../deps.js";
import { linesOf, totalOf } from "../domain/places.js";
import { toOrder } from "../mappers.js";
import { applyPaymentFact, confirmOrder } from "./order-changes.js";

/** Step 2 learned nothing: answer the order as it stands. */
class NoOutcome extends Error {}

export const checkout = multiStepCommand({
  name: "ticket.Checkout",
  input: CheckoutRequestSchema,
  output: OrderSchema,
  requestId: (req) => req.requestId,
  prepare(_d: OrdersDeps, principal, req) {
    const user = requireUser(principal);
    if (req.paymentToken.trim() === "")
      throw new InvalidArgumentError([{ field: "payment_token", description: "required", reason: "REQUIRED" }]);
    return user;
  },
  async run(d: OrdersDeps, flow, req, user) {
    const placed = await flow.transaction("place-order", OrderSchema, (w) =>
      placeOrder(d, w, req.holdId, user.subject),
    );
    const orderId = placed.id;
    const amountMinor = Number(placed.total?.amountMinor ?? 0n);
    let payment: Payment;
    try {
      payment = await flow.call("charge", PaymentSchema, async () => {
        // Settled meanwhile (the consumer, the sweeper, a cancel): never charge a closed order.
        if (amountMinor === 0 || (await orderState(d.db.orm, orderId)) !== "PENDING_PAYMENT") throw new NoOutcome();
        const r = await d.payments.charge(
          {
            orderId,
            userId: user.subject,
            currencyCode: placed.total?.currencyCode ?? "",
            amountMinor,
            paymentToken: req.paymentToken,
          },
          { timeoutMs: d.settings.chargeTimeoutMs },
        );
        if (r.kind === "not_taken") {
          d.logger.info({ orderId, why: r.why }, "payment took nothing: the order waits for a retry of Checkout");
          const retryWindow = new Date(d.clock.now() + d.settings.reconcileAfterSeconds * 1000);
          await postponeCheck(d.db.orm, orderId, retryWindow);
          throw new PaymentUnavailableError(orderId);
        }
        if (r.kind === "unknown") {
          d.logger.info({ orderId, why: r.why }, "charge outcome unknown: the order stays pending and settles later");
          throw new NoOutcome();
        }
        return r.payment;
      });
    } catch (e) {
      if (!(e instanceof NoOutcome)) throw e;
      if (amountMinor === 0) await flow.transaction("settle-free", OrderSchema, (w) => settleFree(d, w, orderId));
      return current(d, orderId);
    }
    // The order this call's own settle step committed: the answer, without reading it back. A
    // replayed step (a repeat of the request) did not run here: the order is read as it stands.
    let settled: Order | undefined;
    await flow.transaction("settle", OrderSchema, async (w) => {
      const fact = factOf(payment);
      const after = fact === undefined ? undefined : await applyPaymentFact(d, w, orderId, fact);
      // confirmed here: the view this change built; settled by someone else first (the consumer of
      // the payment's event often is): the locked row with its lines and tickets
      settled =
        after?.view !== undefined
          ? toOrder(after.view)
          : after !== undefined
            ? toOrder((await withDetails(w.tx, [after.row]))[0]!)
            : await current(d, orderId, w);
      return settled;
    });
    return settled ?? current(d, orderId);
  },
});

async function current(d: OrdersDeps, orderId: string, w?: WriteScope) {
  const v = await orderView(w?.tx ?? d.db.orm, orderId);
  if (v === undefined) throw new NotFoundError("order", orderId);
  return toOrder(v);
}

/** Step 1, in the step's transaction. */
async function placeOrder(d: OrdersDeps, w: WriteScope, holdId: string, buyerId: string) {
  const now = new Date(w.now);
  const hold = await d.inventory.loadHold(w.tx, holdId, now);
  // another user's hold is as unknown as a hold that does not exist
  if (hold === undefined || hold.buyerId !== buyerId) throw new NotFoundError("hold", holdId);
  if (hold.state !== "ACTIVE") throw new HoldNotActiveError(holdId, hold.state);
  // Shared lock on the inventory row: a cancellation waits for this order, or this sees it.
  const status = await d.inventory.lockSalesStatus(w.tx, hold.eventId);
  if (status !== "ON_SALE" || (await eventCancelled(w.tx, hold.eventId)))
    throw new SalesClosedError(hold.eventId, "CANCELLED");
  const orderId = d.newId();
  const lines = linesOf(hold).map((l) => ({ ...l, orderId }));
  const converted = await d.inventory.convertHold(w.tx, holdId, orderId, now);
  if (converted === undefined) throw new NotFoundError("hold", holdId);
  // every column written (the table's defaults spelled out), so the answer is this row, not a read-back
  const row: OrderRow = {
    id: orderId,
    userId: buyerId,
    eventId: hold.eventId,
    holdId,
    state: "PENDING_PAYMENT",
    quantity: hold.quantity,
    currencyCode: hold.currencyCode,
    totalMinor: totalOf(lines),
    paymentId: null,
    paymentOutcome: null,
    paymentFailureCode: "",
    failureReason: "",
    cancelReason: "",
    latePayment: false,
    version: 1,
    createTime: now,
    updateTime: now,
    confirmTime: null,
    cancelTime: null,
    nextCheckTime: new Date(now.getTime() + d.settings.reconcileAfterSeconds * 1000),
    eventStartTime: null,
    eventRevision: 0,
  };
  await insertOrder(w.tx, row, lines);
  w.afterCommit(() => d.watch.changed(orderId));
  return create(OrderSchema, toOrder({ row, lines, ticketIds: [] }));
}

/** A free order (total 0) is confirmed without a charge. */
async function settleFree(d: OrdersDeps, w: WriteScope, orderId: string) {
  const row = await lockOrder(w.tx, orderId);
  if (row?.state === "PENDING_PAYMENT" && row.totalMinor === 0) await confirmOrder(d, w, row, undefined);
  return current(d, orderId, w);
}
