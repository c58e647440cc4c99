/**
 * The fault plan of a chaos round, derived from the seed alone (so CHAOS_SEED replays it): which
 * faults, in which order, when each is injected and how long the faulty part stays down. Pure.
 */

import { prng } from "../../bench/onsale/random.js";
import type { ServiceName } from "../../platform/config/runtime.js";
import { serviceNames } from "../../platform/config/runtime.js";

export type Fault =
  | { kind: "kill-service"; service: ServiceName }
  | { kind: "kill-server"; server: "nats" | "redis" | "mariadb" }
  | { kind: "payment-slow"; latencyMs: number }
  | { kind: "payment-failing"; failureRate: number };

/** Every fault the suite knows: each service process, each server, the provider slow and failing. */
export const allFaults: readonly Fault[] = [
  ...serviceNames.map((service): Fault => ({ kind: "kill-service", service })),
  { kind: "kill-server", server: "nats" },
  { kind: "kill-server", server: "redis" },
  { kind: "kill-server", server: "mariadb" },
  { kind: "payment-slow", latencyMs: 1_500 },
  { kind: "payment-failing", failureRate: 0.5 },
];

export function faultName(f: Fault): string {
  switch (f.kind) {
    case "kill-service":
      return `SIGKILL ${f.service}`;
    case "kill-server":
      return `SIGKILL ${f.server}`;
    case "payment-slow":
      return `payment slow (+${f.latencyMs} ms)`;
    case "payment-failing":
      return `payment failing (${Math.round(f.failureRate * 100)} %)`;
  }
}

export interface PlannedFault {
  fault: Fault;
  /** When to inject, ms after the sales start (then it waits for checkouts in flight). */
  atMs: number;
  /** How long the part stays down (or the provider misbehaves) before it is restarted/reset. */
  downMs: number;
}

export interface PlanOptions {
  /** The faults of the round (default all). */
  faults?: readonly Fault[];
  /** Time before the first fault (the crowd warms up). */
  warmupMs: number;
  /** Time between one fault's slot start and the next one's. */
  slotMs: number;
  /** Down time is drawn from [minDownMs, maxDownMs]. */
  minDownMs: number;
  maxDownMs: number;
}

/** The seeded plan: faults shuffled, one per slot, each at a random moment in its slot's first half. */
export function planFaults(seed: number, o: PlanOptions): PlannedFault[] {
  const random = prng(seed);
  const faults = [...(o.faults ?? allFaults)];
  for (let i = faults.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [faults[i], faults[j]] = [faults[j]!, faults[i]!];
  }
  return faults.map((fault, i) => ({
    fault,
    atMs: Math.round(o.warmupMs + i * o.slotMs + random() * (o.slotMs / 2)),
    downMs: Math.round(o.minDownMs + random() * (o.maxDownMs - o.minDownMs)),
  }));
}
