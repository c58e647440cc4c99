/**
 * The producers' side of the notification suites: real integration-event envelopes (the platform's
 * `envelope`/`encodeEnvelope`, as every outbox writes them) published on the real producer streams
 * of a prefix, with each aggregate's gap-free sequence, for the event types of auth, ticket and
 * payment. The producers themselves are built elsewhere; these tests must not wait for them.
 */
import { randomUUID } from "node:crypto";
import type { DescMessage, MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type JetStreamClient, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { PaymentRefundedSchema, PaymentSucceededSchema } from "../../gen/boxoffice/payment/v1/events_pb.js";
import {
  type EventSummary,
  OrderCancelledSchema,
  OrderConfirmedSchema,
  OrderFailedSchema,
  OrderRescheduledSchema,
} from "../../gen/boxoffice/ticket/v1/events_pb.js";
import { consumerToken } from "../../platform/bus/dead-letter.js";
import { type EventType, encodeEnvelope, envelope, eventType, subjectOf } from "../../platform/bus/events.js";
import { connectNats, ensureServiceStream } from "../../platform/bus/nats.js";
import { type InfraNames, infraNames } from "../../platform/config/names.js";

// the producers' types, declared here as each producer declares them (not taken from the consumer)
const OrderConfirmed = eventType(OrderConfirmedSchema, "ticket");
const OrderCancelled = eventType(OrderCancelledSchema, "ticket");
const OrderFailed = eventType(OrderFailedSchema, "ticket");
const OrderRescheduled = eventType(OrderRescheduledSchema, "ticket");
const PaymentSucceeded = eventType(PaymentSucceededSchema, "payment");
const PaymentRefunded = eventType(PaymentRefundedSchema, "payment");

/** An order as the feed remembers it, to publish its later facts consistently. */
export interface FeedOrder {
  orderId: string;
  userId: string;
  eventId: string;
  paymentId: string;
  totalMinor: number;
}

export class EventFeed {
  readonly names: InfraNames;
  nc!: NatsConnection;
  js!: JetStreamClient;
  readonly #sequences = new Map<string, number>();

  constructor(readonly prefix: string) {
    this.names = infraNames(prefix);
  }

  async open(natsUrl: string): Promise<void> {
    this.nc = await connectNats(natsUrl, `notification-feed-${this.prefix}`);
    this.js = jetstream(this.nc);
    const jsm = await jetstreamManager(this.nc);
    for (const svc of ["auth", "ticket", "payment"])
      await ensureServiceStream(jsm, this.names, svc, { replicas: 1, maxAgeMs: 3600_000, duplicateWindowMs: 120_000 });
  }

  /**
   * Whether notification's durable `consumer` (e.g. "notification.order_confirmed") on `producer`'s
   * stream has nothing left: every message delivered and acked (or dead-lettered).
   */
  async settled(producer: string, consumer: string): Promise<boolean> {
    const jsm = await jetstreamManager(this.nc);
    const ci = await jsm.consumers.info(this.names.stream(producer), this.names.durable(consumerToken(consumer)));
    return ci.num_pending === 0 && ci.num_ack_pending === 0;
  }

  /** Deletes the prefix's streams (and so the durables on them) and closes. */
  async close(): Promise<void> {
    const jsm = await jetstreamManager(this.nc);
    for await (const s of jsm.streams.list())
      if (s.config.name.startsWith(`${this.prefix.toUpperCase()}_`)) await jsm.streams.delete(s.config.name);
    await this.nc.close();
  }

  /**
   * Publishes one event of `aggregate` with its next sequence (or `sequence`), as `deliveries`
   * separate messages with distinct Nats-Msg-Ids: the same event delivered several times, as a
   * relay crash or a dead-letter replay delivers it. Returns the event id.
   */
  async publish<D extends DescMessage>(
    type: EventType<D>,
    payload: MessageInitShape<D>,
    aggregate: { type: string; id: string },
    o: { eventId?: string; sequence?: number; deliveries?: number } = {},
  ): Promise<string> {
    const key = `${aggregate.type}/${aggregate.id}`;
    const sequence = o.sequence ?? (this.#sequences.get(key) ?? 0) + 1;
    this.#sequences.set(key, Math.max(sequence, this.#sequences.get(key) ?? 0));
    const eventId = o.eventId ?? randomUUID();
    const bytes = encodeEnvelope(
      envelope(type, payload, {
        eventId,
        occurMs: Date.now(),
        aggregate: { ...aggregate, version: sequence },
        sequence,
      }),
    );
    for (let i = 0; i < (o.deliveries ?? 1); i++)
      await this.js.publish(subjectOf(this.names, type), bytes, { msgID: i === 0 ? eventId : `${eventId}#${i}` });
    return eventId;
  }

  /** A new order of `userId` for `event` (nothing published yet). */
  order(userId: string, event: EventSummary, totalMinor = 4950): FeedOrder {
    return { orderId: randomUUID(), userId, eventId: event.eventId, paymentId: randomUUID(), totalMinor };
  }

  confirmed(
    o: FeedOrder,
    event: EventSummary,
    opts: { eventId?: string; deliveries?: number; sequence?: number } = {},
  ) {
    return this.publish(
      OrderConfirmed,
      {
        orderId: o.orderId,
        userId: o.userId,
        eventId: o.eventId,
        total: { currencyCode: "EUR", amountMinor: BigInt(o.totalMinor) },
        confirmTime: timestampFromMs(Date.now()),
        paymentId: o.paymentId,
        event,
      },
      { type: "order", id: o.orderId },
      opts,
    );
  }

  cancelled(o: FeedOrder, event: EventSummary, opts: { byEvent: boolean; reason?: string }) {
    return this.publish(
      OrderCancelled,
      {
        orderId: o.orderId,
        userId: o.userId,
        eventId: o.eventId,
        reason: opts.reason ?? (opts.byEvent ? "EVENT_CANCELLED" : "Asked by the buyer"),
        refundExpected: true,
        cancelTime: timestampFromMs(Date.now()),
        paymentId: o.paymentId,
        event,
        total: { currencyCode: "EUR", amountMinor: BigInt(o.totalMinor) },
        eventCancelled: opts.byEvent,
      },
      { type: "order", id: o.orderId },
    );
  }

  failed(o: FeedOrder, event: EventSummary, code: string) {
    return this.publish(
      OrderFailed,
      {
        orderId: o.orderId,
        userId: o.userId,
        eventId: o.eventId,
        reason: "PAYMENT_FAILED",
        failTime: timestampFromMs(Date.now()),
        paymentId: o.paymentId,
        event,
        total: { currencyCode: "EUR", amountMinor: BigInt(o.totalMinor) },
        paymentFailureCode: code,
      },
      { type: "order", id: o.orderId },
    );
  }

  rescheduled(
    o: FeedOrder,
    event: EventSummary,
    previousStartMs: number,
    revision: number,
    opts: { sequence?: number } = {},
  ) {
    return this.publish(
      OrderRescheduled,
      {
        orderId: o.orderId,
        userId: o.userId,
        eventId: o.eventId,
        event,
        previousStartTime: timestampFromMs(previousStartMs),
        eventRevision: BigInt(revision),
      },
      { type: "order", id: o.orderId },
      opts,
    );
  }

  /** The payment's success, then its full refund (two facts of the payment aggregate). */
  async paidAndRefunded(o: FeedOrder, refundTimeMs = Date.now()): Promise<{ refundId: string }> {
    const amount = { currencyCode: "EUR", amountMinor: BigInt(o.totalMinor) };
    await this.publish(
      PaymentSucceeded,
      {
        paymentId: o.paymentId,
        orderId: o.orderId,
        userId: o.userId,
        amount,
        succeedTime: timestampFromMs(Date.now()),
      },
      { type: "payment", id: o.paymentId },
    );
    const refundId = randomUUID();
    await this.publish(
      PaymentRefunded,
      {
        paymentId: o.paymentId,
        orderId: o.orderId,
        refundId,
        amount,
        refundTime: timestampFromMs(refundTimeMs),
        userId: o.userId,
        totalRefundedAmount: amount,
        fullyRefunded: true,
      },
      { type: "payment", id: o.paymentId },
    );
    return { refundId };
  }
}
