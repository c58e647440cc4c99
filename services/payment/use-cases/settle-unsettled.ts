import type { Principal } from "../../../platform/principal/index.js";
import { unsettledPayments, unsettledRefunds } from "../db/repository.js";
import type { PaymentDeps } from "../deps.js";
import { notCompletedCode } from "../domain/failure-codes.js";
import { resume, takeOver } from "./charge-steps.js";
import { sendRefund, takeOverRefund } from "./refund-steps.js";

export interface SweepResult {
  /** Payments settled from the provider's record (SUCCEEDED or declined). */
  settled: number;
  /** Payments the provider never received, now FAILED (CHARGE_NOT_COMPLETED). */
  abandoned: number;
  /** Payments still unknown (processing, or a request may still arrive). */
  pending: number;
  /** Refunds sent again and settled. */
  refunds: number;
  /** Items that failed this round (provider unavailable…); the next round tries again. */
  errors: number;
}

/**
 * One round of the settle sweep (the service runs it every BOXOFFICE_PAYMENT_SETTLE_EVERY_MS, as
 * itself): PENDING payments nobody holds whose last attempt is older than `timing.recheckMs` are
 * looked up by key and recorded — or FAILED once the provider has nothing and nothing can still
 * arrive; PENDING refunds idle as long are sent again under their key. Nobody has to ask for an
 * outcome for it to settle and be announced.
 */
export async function settleUnsettled(
  d: PaymentDeps,
  principal: Principal | undefined,
  opts: { limit?: number; signal?: AbortSignal } = {},
): Promise<SweepResult> {
  const out: SweepResult = { settled: 0, abandoned: 0, pending: 0, refunds: 0, errors: 0 };
  const now = d.clock.date();
  const idleSince = new Date(now.getTime() - d.timing.recheckMs);
  for (const p of await unsettledPayments(d.db.orm, now, idleSince, opts.limit ?? 100)) {
    if (opts.signal?.aborted) return out;
    const mine = await takeOver(d, principal, p);
    if (mine === undefined) continue;
    try {
      const after = await resume(d, principal, mine, undefined, opts.signal);
      if (after.state === "PENDING") out.pending++;
      else if (after.failureCode === notCompletedCode) out.abandoned++;
      else out.settled++;
    } catch {
      out.errors++;
    }
  }
  for (const r of await unsettledRefunds(d.db.orm, idleSince, opts.limit ?? 100)) {
    if (opts.signal?.aborted) return out;
    const mine = await takeOverRefund(d, principal, r);
    if (mine === undefined) continue;
    try {
      await sendRefund(d, principal, mine, opts.signal);
      out.refunds++;
    } catch {
      out.errors++;
    }
  }
  return out;
}
