/**
 * What consumers call to create a notification, inside their own transaction (with the inbox
 * record, so a redelivered event creates nothing twice). The payload is validated here, so a bad
 * fact fails the consumer's handler (and dead-letters) instead of becoming an email that can never
 * render.
 */
import type { Clock } from "../../../platform/clock/index.js";
import type { Tx } from "../../../platform/db/index.js";
import type { IdGenerator } from "../../../platform/ids/index.js";
import type { TraceFields } from "../../../platform/tracing/index.js";
import { insertNotification } from "../db/repository.js";
import { type NotificationContent, parseContent } from "../domain/kinds.js";
import { type RenderContext, subjectOf } from "../templates/index.js";
import type { ChannelName } from "./channel.js";

export interface NewNotification {
  userId: string;
  content: NotificationContent;
  /** EventEnvelope.event_id of the cause */
  sourceEventId: string;
  /**
   * One notification per key, ever. Default `<kind>:<sourceEventId>:<userId>`. Give one per
   * cause a person cares about, e.g. `order-confirmed:<orderId>`, so that even a cause that
   * arrives under two event ids produces one email.
   */
  dedupeKey?: string;
  /** when the cause already names the address (UserRegistered); else the sender resolves it */
  recipient?: { address: string; name?: string };
  orderId?: string;
  eventId?: string;
  channel?: ChannelName;
}

export interface QueueDeps {
  ids: IdGenerator;
  clock: Clock;
  /** subjects are rendered at enqueue time (ListNotifications shows them) */
  render: Omit<RenderContext, "recipientName">;
  /** the trace of the work in progress (the consumer's), stored so the sender's attempts continue it */
  trace?: () => TraceFields | undefined;
}

/** Creates notifications in the caller's transaction; the sender delivers them. */
export class NotificationQueue {
  constructor(private readonly deps: QueueDeps) {}

  /**
   * Adds a PENDING notification due now, unless its dedupe key exists (then returns that one,
   * `created: false`). Throws InvalidPayloadError for a payload that does not fit its kind.
   */
  async enqueue(tx: Tx, n: NewNotification): Promise<{ id: string; created: boolean }> {
    const parsed = parseContent(n.content.kind, n.content.payload);
    const now = this.deps.clock.date();
    const name = n.recipient?.name ?? "";
    const trace = this.deps.trace?.();
    return insertNotification(tx, {
      id: this.deps.ids(),
      userId: n.userId,
      kind: parsed.kind,
      channel: n.channel ?? "EMAIL",
      state: "PENDING",
      recipient: n.recipient?.address ?? "",
      recipientName: name,
      subject: subjectOf(parsed, { ...this.deps.render, recipientName: name }).slice(0, 300),
      payload: JSON.stringify(parsed.payload),
      sourceEventId: n.sourceEventId,
      dedupeKey: (n.dedupeKey ?? `${parsed.kind}:${n.sourceEventId}:${n.userId}`).slice(0, 191),
      orderId: n.orderId ?? "",
      eventId: n.eventId ?? "",
      attempts: 0,
      nextAttemptTime: now,
      createTime: now,
      updateTime: now,
      traceparent: trace?.traceparent ?? "",
      tracestate: (trace?.tracestate ?? "").slice(0, 512),
    });
  }
}
