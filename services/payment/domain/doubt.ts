/**
 * When "the provider has no charge under this key" proves that nothing was charged (pure).
 *
 * A lookup that finds nothing is conclusive only once no request of ours can still reach the
 * provider. Each payment keeps `doubtUntil`, the end of that window, moved by every attempt:
 *
 * - an attempt starts: the request may arrive as long as we hold the lease, plus the provider's
 *   in-flight bound (a request on the wire after we stopped waiting; a process that died mid-call
 *   is covered by its lease);
 * - the provider answered that it did nothing (a retryable refusal before processing): this
 *   attempt adds no doubt, only a short grace for the caller's own retry;
 * - the answer is unknown (timeout, lost answer): the in-flight bound from now.
 *
 * Earlier attempts' windows are never shortened (the maximum is kept). Once `now` is past the
 * window and the provider still has nothing, the payment is FAILED (CHARGE_NOT_COMPLETED): a
 * `sandbox_error` charge — refused before processing on every attempt — is settled within the
 * grace, seconds after the caller gave up, instead of minutes.
 */

export interface DoubtBounds {
  /** How long after we stop waiting a request can still take effect at the provider, ms. */
  inFlightMs: number;
  /** After a refusal before processing: the time left for the caller's retry before we give up, ms. */
  retryGraceMs: number;
}

const later = (a: Date, b: Date) => (a.getTime() >= b.getTime() ? a : b);
const plus = (d: Date, ms: number) => new Date(d.getTime() + ms);

/** The window while an attempt holding the lease until `leaseUntil` is in progress (or its holder died). */
export function doubtWhileSending(before: Date, leaseUntil: Date, b: DoubtBounds): Date {
  return later(before, plus(leaseUntil, b.inFlightMs));
}

/** The window after an attempt the provider refused before processing (nothing happened). */
export function doubtAfterRefusal(before: Date, now: Date, b: DoubtBounds): Date {
  return later(before, plus(now, b.retryGraceMs));
}

/** The window after an attempt whose outcome is unknown. */
export function doubtAfterUnknown(before: Date, now: Date, b: DoubtBounds): Date {
  return later(before, plus(now, b.inFlightMs));
}

/** True when a provider "not found" now proves the charge never happened. */
export function notFoundIsConclusive(doubtUntil: Date, now: Date): boolean {
  return now.getTime() >= doubtUntil.getTime();
}
