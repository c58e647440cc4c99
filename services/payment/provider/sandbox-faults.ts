/**
 * Run-time fault knobs of the sandbox provider, for chaos tests: added latency, a rate of calls
 * failing before they do anything (retryable), and a rate of calls whose effect happens but whose
 * answer is lost (unknown outcome). Per process and in memory: the admin RPC that sets them (later)
 * reaches each payment process; a restart clears them.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { ProviderRetryableError } from "./provider.js";

export interface SandboxFaults {
  /** Added to every call before it does anything, ms. */
  latencyMs: number;
  /** Share of calls (0–1) that fail with a retryable error before doing anything. */
  failureRate: number;
  /** Share of charges and refunds (0–1) that take effect but lose their answer. */
  lostAnswerRate: number;
}

export const noFaults: Readonly<SandboxFaults> = Object.freeze({ latencyMs: 0, failureRate: 0, lostAnswerRate: 0 });

export class SandboxFaultSwitch {
  #faults: SandboxFaults = { ...noFaults };

  constructor(private readonly random: () => number) {}

  get current(): Readonly<SandboxFaults> {
    return { ...this.#faults };
  }

  /** Changes some knobs (the others stay); refuses values out of range. Returns the new setting. */
  set(f: Partial<SandboxFaults>): SandboxFaults {
    const next = { ...this.#faults, ...f };
    if (!Number.isInteger(next.latencyMs) || next.latencyMs < 0 || next.latencyMs > 600_000)
      throw new RangeError("latencyMs must be an integer from 0 to 600000");
    for (const rate of ["failureRate", "lostAnswerRate"] as const)
      if (!(next[rate] >= 0 && next[rate] <= 1)) throw new RangeError(`${rate} must be between 0 and 1`);
    this.#faults = next;
    return { ...next };
  }

  /** Latency, then maybe a failure: what every call meets before it touches the books. */
  async beforeCall(signal: AbortSignal | undefined): Promise<void> {
    const { latencyMs, failureRate } = this.#faults;
    if (latencyMs > 0) {
      try {
        await sleep(latencyMs, undefined, { signal });
      } catch (e) {
        throw new ProviderRetryableError("sandbox: the caller gave up before the call was processed", { cause: e });
      }
    }
    if (failureRate > 0 && this.random() < failureRate)
      throw new ProviderRetryableError("sandbox: injected failure before processing (nothing happened)");
  }

  /** Whether this call's answer is lost (decided after the effect). */
  loseAnswer(): boolean {
    const { lostAnswerRate } = this.#faults;
    return lostAnswerRate > 0 && this.random() < lostAnswerRate;
  }
}
