import type { Clock } from "../../platform/clock/index.js";
import type { CommandDeps } from "../../platform/commands/index.js";
import type { Db } from "../../platform/db/index.js";
import type { IdGenerator } from "../../platform/ids/index.js";
import type { PageTokens } from "../../platform/paging/index.js";
import type { DoubtBounds } from "./domain/doubt.js";
import type { PaymentProvider } from "./provider/provider.js";
import { type ProviderPolicyOptions, worstCaseCallMs } from "./provider/resilient.js";
import type { SandboxProvider } from "./provider/sandbox.js";

/** Time bounds of the charge and refund protocols (docs/payment.md, "Timing"). */
export interface PaymentTiming extends DoubtBounds {
  /** Lease of one attempt at the provider: longer than the provider policy's worst case. */
  claimMs: number;
  /** How long a duplicate waits for an attempt in progress before answering "unknown". */
  waitMs: number;
  /** First pause of a waiting duplicate (doubles up to 8×). */
  pollMs: number;
  /** Pause before the sweep asks the provider again about an unknown outcome. */
  recheckMs: number;
}

/** The protocol's bounds for a provider under `policy`. */
export function paymentTiming(policy: ProviderPolicyOptions = {}, over: Partial<PaymentTiming> = {}): PaymentTiming {
  // The lease outlasts every attempt and backoff of one call, plus the time to record its outcome.
  const claimMs = worstCaseCallMs(policy) + 5_000;
  return {
    claimMs,
    waitMs: claimMs,
    pollMs: 25,
    recheckMs: 2_000,
    inFlightMs: 5_000,
    retryGraceMs: 5_000,
    ...over,
  };
}

/** What the payment service's use-cases get, built once in index.ts from the process context. */
export interface PaymentDeps extends CommandDeps {
  /** For reads; writes go through `commands`. */
  db: Db;
  clock: Clock;
  newId: IdGenerator;
  /** The provider under its resilience policy (ResilientProvider). */
  provider: PaymentProvider;
  /** The sandbox when it is the provider (its fault knobs); undefined with a real processor. */
  sandbox: SandboxProvider | undefined;
  timing: PaymentTiming;
  pageTokens: PageTokens;
}
