/**
 * The steps of the charge protocol (docs/payment.md, "Charge protocol") that Charge,
 * GetChargeOutcome and the settle sweep share: taking a payment's lease, asking the provider by
 * key, sending the charge, and recording what the provider said — each write a transaction of the
 * command pipeline, the payment's event emitted in the transaction that records its outcome.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Principal } from "../../../platform/principal/index.js";
import {
  claimPayment,
  insertLedgerEntry,
  loadPayment,
  markSending,
  releasePayment,
  type StoredPayment,
  savePayment,
  savePaymentIf,
} from "../db/repository.js";
import type { PaymentDeps } from "../deps.js";
import { doubtAfterRefusal, doubtAfterUnknown, doubtWhileSending, notFoundIsConclusive } from "../domain/doubt.js";
import { PaymentOutcomeUnknownError, ProviderUnavailableError, RequestReusedError } from "../domain/errors.js";
import type { Money } from "../domain/money.js";
import { abandonCharge, applyChargeOutcome, type ChargeDecision, isSettled } from "../domain/payment.js";
import { outcomeEvent } from "../events/published.js";
import { ProviderKeyReusedError, ProviderRejectedError, ProviderRetryableError } from "../provider/provider.js";

/** A charge as the protocol needs it (from a ChargeRequest). */
export interface ChargeInput {
  /** The caller's idempotency key (ticket: the order id). */
  idempotencyKey: string;
  orderId: string;
  userId: string;
  amount: Money;
  /** Passed to the provider only; never stored or logged. */
  paymentToken: string;
}

/** The key a charge or refund carries to the provider: one namespace per kind, as processors share one. */
export const providerKey = (kind: "charge" | "refund", key: string) => `${kind}:${key}`;

/** Waits `ms` unless `signal` aborts first; false when it aborted. */
export async function nap(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

/** The payment with its lease taken by us, or undefined when it is settled or held by someone else. */
export async function takeOver(d: PaymentDeps, who: Principal | undefined, p: StoredPayment) {
  const now = d.clock.date();
  if (isSettled(p) || p.claimedUntil.getTime() > now.getTime()) return undefined;
  const until = new Date(now.getTime() + d.timing.claimMs);
  const claimed = await d.commands.transaction(who, (w) => claimPayment(w.tx, p.id, p.attempts, now, until));
  if (!claimed) return undefined;
  return { ...p, claimedUntil: until, lastAttemptTime: now, attempts: p.attempts + 1 };
}

/** Gives our lease back, with what the attempt taught about the doubt window. */
function release(d: PaymentDeps, who: Principal | undefined, p: StoredPayment, doubtUntil?: Date) {
  return d.commands.transaction(who, (w) => releasePayment(w.tx, p.id, p.attempts, d.clock.date(), doubtUntil));
}

/**
 * With the lease held and the outcome unknown: asks the provider by key and records what it says.
 * When the provider has no charge under the key, sends it again if the token is at hand (a retried
 * Charge); without a token (GetChargeOutcome, the sweep), fails the payment once no request of ours
 * can still arrive (domain/doubt.ts). Returns the payment, PENDING when the provider is still
 * processing or a request may still arrive — the lease is given back then.
 */
export async function resume(
  d: PaymentDeps,
  who: Principal | undefined,
  p: StoredPayment,
  input: ChargeInput | undefined,
  signal: AbortSignal | undefined,
): Promise<StoredPayment> {
  let found: Awaited<ReturnType<PaymentDeps["provider"]["lookupCharge"]>>;
  try {
    found = await d.provider.lookupCharge(providerKey("charge", p.idempotencyKey), { signal });
  } catch (e) {
    await release(d, who, p);
    throw new ProviderUnavailableError(e);
  }
  if (found.status === "SUCCEEDED" || found.status === "DECLINED") return recordOutcome(d, who, p.id, found);
  if (found.status === "NOT_FOUND" && input !== undefined) return sendCharge(d, who, p, input, signal, false);
  if (found.status === "NOT_FOUND" && notFoundIsConclusive(p.doubtUntil, d.clock.date())) return abandon(d, who, p);
  await release(d, who, p);
  return p;
}

/**
 * Sends the charge under our lease and records the outcome. `fresh`: the payment was just inserted
 * with its doubt window already set; otherwise the window is widened before the request leaves.
 * When no outcome comes back, gives the lease back and throws.
 */
export async function sendCharge(
  d: PaymentDeps,
  who: Principal | undefined,
  p: StoredPayment,
  input: ChargeInput,
  signal: AbortSignal | undefined,
  fresh: boolean,
): Promise<StoredPayment> {
  // A fresh payment had no request out before this one.
  const before = fresh ? p.createTime : p.doubtUntil;
  if (!fresh) {
    const sending = doubtWhileSending(before, p.claimedUntil, d.timing);
    const ours = await d.commands.transaction(who, (w) => markSending(w.tx, p.id, p.attempts, sending));
    if (!ours) throw new PaymentOutcomeUnknownError(p.id);
  }
  let outcome: ChargeDecision;
  try {
    outcome = await d.provider.charge(
      {
        idempotencyKey: providerKey("charge", p.idempotencyKey),
        amount: input.amount,
        paymentToken: input.paymentToken,
        description: `Boxoffice order ${input.orderId}`,
        metadata: { order_id: p.orderId, user_id: p.userId, payment_id: p.id },
      },
      { signal },
    );
  } catch (e) {
    if (e instanceof ProviderRejectedError) {
      outcome = { status: "DECLINED", reference: "", failureCode: e.code };
    } else {
      const now = d.clock.date();
      if (e instanceof ProviderKeyReusedError) {
        await release(d, who, p, doubtAfterRefusal(before, now, { ...d.timing, retryGraceMs: 0 }));
        throw new RequestReusedError("charge", input.idempotencyKey);
      }
      if (e instanceof ProviderRetryableError) {
        await release(d, who, p, doubtAfterRefusal(before, now, d.timing));
        throw new ProviderUnavailableError(e);
      }
      await release(d, who, p, doubtAfterUnknown(before, now, d.timing));
      throw new PaymentOutcomeUnknownError(p.id, "payment", e);
    }
  }
  return recordOutcome(d, who, p.id, outcome, p);
}

/**
 * Records the provider's outcome with its ledger entry and event (idempotent: a second recorder
 * finds it recorded). `known`: the payment as this caller last saw it (it holds the lease): the
 * outcome is applied to it and saved as a compare-and-set on its version, without reading the row
 * first — one round trip fewer on every charge; if the row moved meanwhile, it is read locked and
 * the outcome applied to what it is now.
 */
export function recordOutcome(
  d: PaymentDeps,
  who: Principal | undefined,
  paymentId: string,
  outcome: ChargeDecision,
  known?: StoredPayment,
): Promise<StoredPayment> {
  return d.commands.transaction(who, async (w) => {
    const now = new Date(w.now);
    let p = known;
    let t = p === undefined ? undefined : applyChargeOutcome(p, outcome, now);
    if (p === undefined || t?.kind !== "changed" || !(await savePaymentIf(w.tx, t.payment, p.version))) {
      p = await loadPayment(w.tx, paymentId, true);
      if (p === undefined) throw new Error(`payment ${paymentId} disappeared`);
      t = applyChargeOutcome(p, outcome, now);
      if (t.kind === "unchanged") return p;
      await savePayment(w.tx, t.payment, p.version);
    }
    if (t.capture)
      await insertLedgerEntry(w.tx, {
        id: d.newId(),
        paymentId: p.id,
        kind: "CHARGE",
        currencyCode: p.amount.currencyCode,
        amountMinor: p.amount.amountMinor,
        providerReference: t.payment.providerReference,
        createTime: now,
      });
    await w.emit(outcomeEvent(t.payment));
    return { ...p, ...t.payment };
  });
}

/**
 * FAILED with CHARGE_NOT_COMPLETED: the provider has no charge under the key and no request of ours
 * can still reach it. Only while our lease is the current one (nobody sent anything since our lookup).
 */
function abandon(d: PaymentDeps, who: Principal | undefined, mine: StoredPayment): Promise<StoredPayment> {
  return d.commands.transaction(who, async (w) => {
    const p = await loadPayment(w.tx, mine.id, true);
    if (p === undefined) throw new Error(`payment ${mine.id} disappeared`);
    if (p.state !== "PENDING" || p.attempts !== mine.attempts) return p;
    const next = abandonCharge(p, new Date(w.now));
    await savePayment(w.tx, next, p.version);
    await w.emit(outcomeEvent(next));
    return { ...p, ...next };
  });
}
