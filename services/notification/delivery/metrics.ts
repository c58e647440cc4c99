import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** The sender's metrics, registered once per registry (several senders may share one). */
export interface SenderMetrics {
  sent: Counter<"channel" | "kind">;
  retried: Counter<"channel" | "kind">;
  failed: Counter<"channel" | "kind" | "reason">;
  oldestUnsentSeconds: Gauge;
  attemptSeconds: Histogram<"channel" | "outcome">;
  leaseLost: Counter<"channel">;
  channelPaused: Counter<"channel">;
}

const cache = new WeakMap<Registry, SenderMetrics>();

export function senderMetrics(registry: Registry): SenderMetrics {
  let m = cache.get(registry);
  if (m !== undefined) return m;
  const registers = [registry];
  m = {
    sent: new Counter({
      name: "notification_sent_total",
      help: "Notifications accepted by their channel (for email: the SMTP server answered 250).",
      labelNames: ["channel", "kind"],
      registers,
    }),
    retried: new Counter({
      name: "notification_retried_total",
      help: "Attempts that failed temporarily and were scheduled again with backoff.",
      labelNames: ["channel", "kind"],
      registers,
    }),
    failed: new Counter({
      name: "notification_failed_total",
      help: "Notifications marked FAILED, by reason: permanent (5xx), exhausted (max attempts), invalid (payload), no_recipient.",
      labelNames: ["channel", "kind", "reason"],
      registers,
    }),
    oldestUnsentSeconds: new Gauge({
      name: "notification_oldest_unsent_seconds",
      help: "Age of the oldest PENDING notification (0 when none); updated by the sender every few seconds.",
      registers,
    }),
    attemptSeconds: new Histogram({
      name: "notification_attempt_seconds",
      help: "Duration of one delivery attempt, by outcome.",
      labelNames: ["channel", "outcome"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    leaseLost: new Counter({
      name: "notification_lease_lost_total",
      help: "Attempts that ended after their lease ran out (another sender may have sent the same message again).",
      labelNames: ["channel"],
      registers,
    }),
    channelPaused: new Counter({
      name: "notification_channel_paused_total",
      help: "Times a channel was paused because its server could not be reached.",
      labelNames: ["channel"],
      registers,
    }),
  };
  cache.set(registry, m);
  return m;
}

/** What the consumers decide, counted after their transaction committed. */
export interface QueueMetrics {
  queued: Counter<"kind">;
  suppressed: Counter<"kind" | "reason">;
}

const queueCache = new WeakMap<Registry, QueueMetrics>();

export function queueMetrics(registry: Registry): QueueMetrics {
  let m = queueCache.get(registry);
  if (m !== undefined) return m;
  const registers = [registry];
  m = {
    queued: new Counter({
      name: "notification_queued_total",
      help: "Notifications created from integration events (a repeated cause creates none).",
      labelNames: ["kind"],
      registers,
    }),
    suppressed: new Counter({
      name: "notification_suppressed_total",
      help: "Facts that deserved no email, by reason: event_cancelled (a refund the EVENT_CANCELLED email announced), expired (an account link past its expiry).",
      labelNames: ["kind", "reason"],
      registers,
    }),
  };
  queueCache.set(registry, m);
  return m;
}
