/**
 * The payment ledger (pure): one CHARGE entry when the money is taken, one REFUND entry per
 * succeeded refund, amounts always positive. Everything a payment says about money must be
 * derivable from its entries; {@link reconcile} lists every way it is not.
 */
import { capturedState, capturedStates, type Payment } from "./payment.js";

export type LedgerKind = "CHARGE" | "REFUND";

export interface LedgerEntry {
  kind: LedgerKind;
  currencyCode: string;
  amountMinor: number;
  /** The refund an entry books (REFUND only). */
  refundId?: string | null;
}

export interface LedgerTotals {
  capturedMinor: number;
  refundedMinor: number;
  charges: number;
  refunds: number;
}

export function ledgerTotals(entries: readonly LedgerEntry[]): LedgerTotals {
  const t: LedgerTotals = { capturedMinor: 0, refundedMinor: 0, charges: 0, refunds: 0 };
  for (const e of entries) {
    if (e.kind === "CHARGE") {
      t.capturedMinor += e.amountMinor;
      t.charges++;
    } else {
      t.refundedMinor += e.amountMinor;
      t.refunds++;
    }
  }
  return t;
}

/** A succeeded refund as the reconciliation sees it. */
export interface BookedRefund {
  id: string;
  amountMinor: number;
}

/**
 * Every disagreement between a payment, its ledger entries and its succeeded refunds (empty when
 * they reconcile): one charge of the full amount exactly when captured, refunds summing to the
 * payment's refunded amount and never above the capture, the state that follows from the sums.
 */
export function reconcile(p: Payment, entries: readonly LedgerEntry[], refunds?: readonly BookedRefund[]): string[] {
  const problems: string[] = [];
  const t = ledgerTotals(entries);
  for (const e of entries) {
    if (!Number.isSafeInteger(e.amountMinor) || e.amountMinor <= 0)
      problems.push(`${e.kind} entry of ${e.amountMinor}: amounts are positive integers`);
    if (e.currencyCode !== p.amount.currencyCode)
      problems.push(`${e.kind} entry in ${e.currencyCode}, payment in ${p.amount.currencyCode}`);
  }
  if (capturedStates.has(p.state)) {
    if (t.charges !== 1 || t.capturedMinor !== p.amount.amountMinor)
      problems.push(`${p.state} needs one charge of ${p.amount.amountMinor}: ${t.charges} entries, ${t.capturedMinor}`);
  } else if (t.charges !== 0 || t.refunds !== 0) {
    problems.push(`${p.state} payment has ${t.charges} charge and ${t.refunds} refund entries`);
  }
  if (t.refundedMinor !== p.refundedMinor)
    problems.push(`refunded ${p.refundedMinor} on the payment, ${t.refundedMinor} in the ledger`);
  if (t.refundedMinor > t.capturedMinor) problems.push(`refunded ${t.refundedMinor} > captured ${t.capturedMinor}`);
  if (capturedStates.has(p.state) && t.refundedMinor <= p.amount.amountMinor) {
    const expected = capturedState(p, t.refundedMinor);
    if (expected !== p.state) problems.push(`state ${p.state}, but the sums say ${expected}`);
  }
  if (refunds !== undefined) {
    const byRefund = new Map<string, number[]>();
    for (const e of entries)
      if (e.kind === "REFUND")
        byRefund.set(e.refundId ?? "", [...(byRefund.get(e.refundId ?? "") ?? []), e.amountMinor]);
    for (const r of refunds) {
      const booked = byRefund.get(r.id) ?? [];
      if (booked.length !== 1 || booked[0] !== r.amountMinor)
        problems.push(`refund ${r.id} of ${r.amountMinor} is booked as [${booked.join(", ")}]`);
      byRefund.delete(r.id);
    }
    for (const id of byRefund.keys()) problems.push(`REFUND entry for ${id || "no refund"} without a succeeded refund`);
  }
  return problems;
}
