import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** Outbox relay metrics, registered once per registry and labelled by service and relay instance. */
export interface RelayMetrics {
  backlog: Gauge<"service">;
  oldestUnsentSeconds: Gauge<"service">;
  publishSeconds: Histogram<"service">;
  publishAttempts: Counter<"service" | "instance">;
  published: Counter<"service" | "instance" | "duplicate">;
  publishFailures: Counter<"service" | "instance">;
  leader: Gauge<"service" | "instance">;
}

const cache = new WeakMap<Registry, RelayMetrics>();

export function relayMetrics(registry: Registry): RelayMetrics {
  let m = cache.get(registry);
  if (m === undefined) {
    const registers = [registry];
    m = {
      backlog: new Gauge({
        name: "bus_outbox_backlog",
        help: "Outbox rows not yet published.",
        labelNames: ["service"],
        registers,
      }),
      oldestUnsentSeconds: new Gauge({
        name: "bus_outbox_oldest_unsent_seconds",
        help: "Age of the oldest unpublished outbox row (0 when none).",
        labelNames: ["service"],
        registers,
      }),
      publishSeconds: new Histogram({
        name: "bus_outbox_publish_seconds",
        help: "JetStream publish latency, from send to ack.",
        labelNames: ["service"],
        buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
        registers,
      }),
      publishAttempts: new Counter({
        name: "bus_outbox_publish_attempts_total",
        help: "Publish attempts.",
        labelNames: ["service", "instance"],
        registers,
      }),
      published: new Counter({
        name: "bus_outbox_published_total",
        help: "Events acknowledged by JetStream (duplicate=true: dropped by the duplicate window, already in the stream).",
        labelNames: ["service", "instance", "duplicate"],
        registers,
      }),
      publishFailures: new Counter({
        name: "bus_outbox_publish_failures_total",
        help: "Failed publish attempts.",
        labelNames: ["service", "instance"],
        registers,
      }),
      leader: new Gauge({
        name: "bus_outbox_relay_leader",
        help: "1 while this relay holds its service's outbox lock.",
        labelNames: ["service", "instance"],
        registers,
      }),
    };
    cache.set(registry, m);
  }
  return m;
}
