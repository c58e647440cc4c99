import type { MySql2Database } from "drizzle-orm/mysql2";
import type { Tx } from "../../../platform/db/index.js";
import { ledgerEntries, loadPayment, refundsOf } from "../db/repository.js";
import { reconcile } from "../domain/ledger.js";

/**
 * Every way a payment disagrees with its ledger and refunds (empty when they reconcile): for
 * tests, the chaos run and support tooling.
 */
export async function auditPayment(q: Tx | MySql2Database, paymentId: string): Promise<string[]> {
  const p = await loadPayment(q, paymentId);
  if (p === undefined) return [`payment ${paymentId} does not exist`];
  const refunds = (await refundsOf(q, paymentId)).filter((r) => r.state === "SUCCEEDED");
  return reconcile(p, await ledgerEntries(q, paymentId), refunds).map((problem) => `payment ${paymentId}: ${problem}`);
}
