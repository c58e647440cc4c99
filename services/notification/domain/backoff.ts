/**
 * When to try again, without I/O. A temporary failure (4xx, refused connection, timeout) puts the
 * notification back with an exponentially growing delay, jittered so that messages which failed
 * together do not come back together; after `maxAttempts` it is given up. A permanent failure
 * (5xx) is final at once. None of this ever loops faster than the policy allows.
 */

export interface RetryPolicy {
  /** delay after the first failed attempt (before jitter) */
  baseMs: number;
  /** no delay grows beyond this */
  maxMs: number;
  /** attempts in all, the first included; the one after which a temporary failure becomes FAILED */
  maxAttempts: number;
}

/**
 * Delay after the `failures`-th consecutive failure (1-based): base·2^(failures−1), capped at max,
 * then "equal jitter": half of it fixed, half random. So the delay is never below half the
 * exponential step (no storm) and two failures of the same age spread over the other half.
 */
export function backoffMs(
  failures: number,
  policy: Pick<RetryPolicy, "baseMs" | "maxMs">,
  random = Math.random,
): number {
  const n = Math.max(1, Math.floor(failures));
  // 2^n overflows to Infinity long before it matters; min() caps it
  const step = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(n - 1, 52));
  return Math.round(step / 2 + random() * (step / 2));
}

export type FailureKind = "temporary" | "permanent";

/** What happens to a notification after a failed attempt. */
export type AfterFailure =
  | { state: "PENDING"; nextAttemptTime: Date; reason: "retry" }
  | { state: "FAILED"; reason: "permanent" | "exhausted" };

/** `attempts` counts the attempt that just failed. */
export function afterFailure(
  kind: FailureKind,
  attempts: number,
  now: number,
  policy: RetryPolicy,
  random = Math.random,
): AfterFailure {
  if (kind === "permanent") return { state: "FAILED", reason: "permanent" };
  if (attempts >= policy.maxAttempts) return { state: "FAILED", reason: "exhausted" };
  return { state: "PENDING", nextAttemptTime: new Date(now + backoffMs(attempts, policy, random)), reason: "retry" };
}
