/**
 * The reconciliation sweeper: orders whose charge outcome is unknown (a lost answer, a timeout, a
 * payment process killed mid-charge, an order cancelled while its charge was in flight) are asked
 * about with GetChargeOutcome once they are `reconcileAfterSeconds` old, then every
 * `reconcileEveryMs`. It never sends a Charge (the token is not stored): NOT_FOUND means nothing was
 * charged, and a pending order then FAILS for good. A PENDING_PAYMENT order still unknown after
 * `paymentTimeoutSeconds` fails (PAYMENT_TIMEOUT, places back on sale) and keeps being asked about,
 * so a charge that succeeds after all is refunded. Nothing stays PENDING_PAYMENT forever.
 */
import { servicePrincipal } from "../../../../platform/principal/index.js";
import { dueForReconciliation, lockOrder, type OrderRow, updateOrder } from "../db/orders.js";
import type { OrdersDeps } from "../deps.js";
import type { PaymentFact } from "../domain/order.js";
import { applyPaymentFact } from "./order-changes.js";

const self = servicePrincipal("ticket");

export interface ReconcileResult {
  checked: number;
  /** Orders whose outcome is now known (or that timed out). */
  settled: number;
  /** Still unknown: asked again after `reconcileEveryMs`. */
  unknown: number;
}

/** One round: up to `limit` due orders, a few questions at a time. */
export async function reconcileOrders(
  d: OrdersDeps,
  o: { limit?: number; signal?: AbortSignal } = {},
): Promise<ReconcileResult> {
  const out: ReconcileResult = { checked: 0, settled: 0, unknown: 0 };
  const due = await dueForReconciliation(d.db.orm, d.clock.date(), o.limit ?? 100);
  const work = [...due];
  const worker = async () => {
    for (let row = work.shift(); row !== undefined && !o.signal?.aborted; row = work.shift()) {
      out.checked++;
      if (await reconcileOne(d, row)) out.settled++;
      else out.unknown++;
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return out;
}

/** Asks about one order and applies the answer; true when its outcome is now known or it timed out. */
export async function reconcileOne(d: OrdersDeps, row: OrderRow): Promise<boolean> {
  const answer = await d.payments.outcome(row.id);
  const now = d.clock.date();
  const timedOut =
    row.state === "PENDING_PAYMENT" &&
    now.getTime() - row.createTime.getTime() >= d.settings.paymentTimeoutSeconds * 1000;
  let fact: PaymentFact | undefined;
  if (answer.kind === "pending" || answer.kind === "unavailable") {
    if (answer.kind === "unavailable")
      d.logger.info({ orderId: row.id, why: answer.why }, "charge outcome not available yet");
    fact = timedOut ? { kind: "timed_out" } : undefined;
  } else fact = answer;
  return d.commands.transaction(self, async (w) => {
    if (fact !== undefined) await applyPaymentFact(d, w, row.id, fact);
    const after = await lockOrder(w.tx, row.id);
    if (after !== undefined && after.paymentOutcome === null)
      await updateOrder(w.tx, row.id, { nextCheckTime: new Date(w.now + d.settings.reconcileEveryMs) });
    return fact !== undefined;
  });
}
