import { Gauge, type Registry } from "prom-client";

/** cockatiel's CircuitState values (Closed 0, Open 1, HalfOpen 2, Isolated 3) as the gauge reports them. */
const exported: Readonly<Record<number, number>> = { 0: 0, 1: 2, 2: 1, 3: 2 };

/**
 * `circuit_breaker_state{caller, target}`: 0 closed, 1 half-open (one trial call), 2 open (calls
 * fail fast). Each breaker registers a reader of its state; the gauge reads them when /metrics is
 * scraped, so a call costs nothing. Several breakers with the same labels report the worst.
 */
export class BreakerStates {
  readonly #readers = new Map<string, { labels: { caller: string; target: string }; reads: (() => number)[] }>();

  constructor(registry: Registry) {
    const readers = this.#readers;
    new Gauge({
      name: "circuit_breaker_state",
      help: "Circuit breakers of outgoing calls, by caller and target: 0 closed, 1 half-open, 2 open (failing fast).",
      labelNames: ["caller", "target"],
      registers: [registry],
      collect() {
        this.reset();
        for (const { labels, reads } of readers.values())
          this.set(labels, Math.max(...reads.map((r) => exported[r()] ?? 0)));
      },
    });
  }

  /** Reports the breaker whose cockatiel `CircuitState` `read` returns. */
  track(labels: { caller: string; target: string }, read: () => number): void {
    const key = `${labels.caller}\0${labels.target}`;
    const entry = this.#readers.get(key);
    if (entry === undefined) this.#readers.set(key, { labels, reads: [read] });
    else entry.reads.push(read);
  }
}
