/**
 * Refunds owed (order_refunds rows) sent to payment under a request id derived from the order, so
 * sending one twice — two replicas, a retry after a lost answer — refunds once. Run after the
 * commit that owed them and by a periodic job, with growing pauses while payment is away.
 */
import { servicePrincipal } from "../../../../platform/principal/index.js";
import { dueRefunds, refundLater, refundSettled } from "../db/work.js";
import type { OrdersDeps } from "../deps.js";

const self = servicePrincipal("ticket");
/** Pause after the n-th failed attempt: 1 s doubling to 5 min. */
export const refundBackoffMs = (attempts: number) => Math.min(300_000, 1000 * 2 ** Math.min(attempts, 9));

/** Sends due refunds (or one order's, whatever its schedule); returns how many were settled. */
export async function sendRefunds(
  d: OrdersDeps,
  o: { orderId?: string; limit?: number; signal?: AbortSignal } = {},
): Promise<number> {
  let settled = 0;
  for (const r of await dueRefunds(d.db.orm, d.clock.date(), o.limit ?? 50, o.orderId)) {
    if (o.signal?.aborted) break;
    const res = await d.payments.refund({ orderId: r.orderId, paymentId: r.paymentId, reason: r.reason });
    const now = d.clock.date();
    await d.commands.transaction(self, async (w) => {
      if (res.kind === "retry")
        await refundLater(w.tx, r.orderId, res.why, new Date(now.getTime() + refundBackoffMs(r.attempts)));
      else
        await refundSettled(
          w.tx,
          r.orderId,
          res.kind === "done" ? "DONE" : "REFUSED",
          res.kind === "done" ? res.note : res.why,
          now,
        );
    });
    if (res.kind === "refused")
      d.logger.error(
        { orderId: r.orderId, paymentId: r.paymentId, why: res.why },
        "payment refused a refund we owe: look at it",
      );
    if (res.kind !== "retry") settled++;
  }
  return settled;
}
