/**
 * Request fingerprints for idempotency as card processors define it: a repeat with the same key and
 * the same parameters gets the first result; the same key with different parameters is refused.
 * Only a SHA-256 digest is stored — the payment token itself is never stored.
 */
import { createHash } from "node:crypto";
import type { Money } from "./money.js";

function digest(parts: ReadonlyArray<string | number | null>): Buffer {
  // JSON of an array: unambiguous field boundaries whatever the strings contain.
  return createHash("sha256").update(JSON.stringify(parts)).digest();
}

export interface ChargeParams {
  orderId: string;
  userId: string;
  amount: Money;
  paymentToken: string;
}

export function chargeFingerprint(c: ChargeParams): Buffer {
  return digest(["charge/1", c.orderId, c.userId, c.amount.currencyCode, c.amount.amountMinor, c.paymentToken]);
}

export interface RefundParams {
  paymentId: string;
  /** Unset: the rest of the payment. */
  amount?: Money;
  reason: string;
}

export function refundFingerprint(r: RefundParams): Buffer {
  return digest(["refund/1", r.paymentId, r.amount?.currencyCode ?? null, r.amount?.amountMinor ?? null, r.reason]);
}

/** True when two fingerprints name the same request. */
export function sameRequest(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}
