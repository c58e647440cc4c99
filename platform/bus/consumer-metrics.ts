import type { JetStreamManager } from "@nats-io/jetstream";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { Logger } from "../log/index.js";

/** What became of one delivered message. */
export type ConsumerOutcome =
  | "applied"
  | "duplicate"
  | "stale"
  /** the handler failed; counted toward dead-lettering */
  | "retry"
  /** the infrastructure failed (database, broker, another service): retried, not counted */
  | "infra_retry"
  /** an every-fact event waiting for its aggregate's earlier events */
  | "waiting"
  | "dead_letter";

/** Event consumer metrics, registered once per registry (many consumers share them) and labelled by consumer. */
export interface ConsumerMetrics {
  handled: Counter<"consumer" | "outcome">;
  handlingSeconds: Histogram<"consumer" | "outcome">;
  redeliveries: Counter<"consumer">;
  deadLetters: Counter<"consumer">;
  lag: Gauge<"consumer">;
  ackPending: Gauge<"consumer">;
  waiting: Gauge<"consumer">;
}

const cache = new WeakMap<Registry, ConsumerMetrics>();

export function consumerMetrics(registry: Registry): ConsumerMetrics {
  let m = cache.get(registry);
  if (m === undefined) {
    const registers = [registry];
    m = {
      handled: new Counter({
        name: "bus_consumer_handled_total",
        help: "Delivered event messages by consumer and outcome (applied, duplicate, stale, retry, infra_retry, waiting, dead_letter).",
        labelNames: ["consumer", "outcome"],
        registers,
      }),
      handlingSeconds: new Histogram({
        name: "bus_consumer_handling_seconds",
        help: "Time from taking a message to its ack/nak/term, by consumer and outcome.",
        labelNames: ["consumer", "outcome"],
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
        registers,
      }),
      redeliveries: new Counter({
        name: "bus_consumer_redeliveries_total",
        help: "Messages delivered more than once (delivery count > 1).",
        labelNames: ["consumer"],
        registers,
      }),
      deadLetters: new Counter({
        name: "bus_consumer_dead_letters_total",
        help: "Messages moved to the dead-letter stream.",
        labelNames: ["consumer"],
        registers,
      }),
      lag: new Gauge({
        name: "bus_consumer_lag",
        help: "Messages in the stream not yet delivered to the consumer (num_pending), refreshed every few seconds.",
        labelNames: ["consumer"],
        registers,
      }),
      ackPending: new Gauge({
        name: "bus_consumer_ack_pending",
        help: "Messages delivered and not yet acknowledged (num_ack_pending).",
        labelNames: ["consumer"],
        registers,
      }),
      waiting: new Gauge({
        name: "bus_consumer_waiting_events",
        help: "Every-fact events held back until their aggregate's earlier events are applied or dead-lettered.",
        labelNames: ["consumer"],
        registers,
      }),
    };
    cache.set(registry, m);
  }
  return m;
}

/** Keeps the lag and ack-pending gauges of one durable fresh (consumer info every `everyMs`) while running. */
export class LagRefresher {
  #timer: NodeJS.Timeout | undefined;
  #inflight: Promise<void> | undefined;

  constructor(
    private readonly m: ConsumerMetrics,
    private readonly consumer: string,
    private readonly info: { jsm: JetStreamManager; stream: string; durable: string },
    private readonly log: Logger,
  ) {}

  start(everyMs: number): void {
    clearInterval(this.#timer);
    this.#timer = setInterval(() => this.refresh(), everyMs).unref();
    this.refresh();
  }

  refresh(): void {
    if (this.#inflight !== undefined) return;
    const { jsm, stream, durable } = this.info;
    this.#inflight = (async () => {
      try {
        const ci = await jsm.consumers.info(stream, durable);
        this.m.lag.set({ consumer: this.consumer }, ci.num_pending);
        this.m.ackPending.set({ consumer: this.consumer }, ci.num_ack_pending);
      } catch (err) {
        this.log.debug({ err }, "consumer info failed");
      } finally {
        this.#inflight = undefined;
      }
    })();
  }

  /** No timer left once this resolves. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#inflight;
  }
}
