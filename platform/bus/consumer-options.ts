import type { DescMessage, MessageShape, Registry as ProtoRegistry } from "@bufbuild/protobuf";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Registry } from "prom-client";
import type { Clock } from "../clock/index.js";
import type { InfraNames } from "../config/names.js";
import type { Db, Tx } from "../db/index.js";
import type { Logger } from "../log/index.js";
import type { Tracing } from "../tracing/index.js";
import type { ConsumerKind } from "./consumer-inbox.js";
import { describeError } from "./consumer-nats.js";
import { decodeEnvelope, type EventEnvelope, type EventType, UndecodableEventError } from "./events.js";
import type { StreamSettings } from "./nats.js";

/** What a handler gets: the envelope and its decoded payload. */
export interface ConsumedEvent<D extends DescMessage> {
  envelope: EventEnvelope;
  payload: MessageShape<D>;
}

export interface ConsumerOptions<D extends DescMessage> {
  /** Stable consumer name, e.g. "notification.order_confirmed": the inbox key; durable `names.durable(<name with _ for .>)`. */
  name: string;
  /** Exactly one event type: the durable's filter_subject is its subject (nats-server 2.9: one filter per consumer). */
  type: EventType<D>;
  /**
   * Snapshots (`latest-state`: an older aggregate version than the applied one is skipped) or facts
   * (`every-fact`: applied once each, in aggregate sequence; a later one waits). See {@link ConsumerKind}.
   */
  kind: ConsumerKind;
  /**
   * every-fact: consumers that share a group track each aggregate's sequence together (default: the
   * consumer's own name). One consumer per event type (nats-server 2.9) sees only its type's events,
   * so an aggregate with several types (OrderConfirmed, then OrderCancelled) has gaps in any one
   * consumer's view: give every consumer of that aggregate's types one group, and a fact of one type
   * waits for the earlier facts of the others instead of for events it never receives. The group must
   * cover every type the producer publishes for the aggregate.
   */
  sequenceGroup?: string;
  names: InfraNames;
  nc: NatsConnection;
  db: Db;
  clock: Clock;
  logger: Logger;
  metrics: { registry: Registry };
  /**
   * The effect, written with `tx`: it commits with the inbox row or not at all. Throw to retry.
   * Keep it to the database and short (it holds a connection and the aggregate's inbox row lock);
   * it runs again if the transaction is retried after a deadlock.
   */
  handle(tx: Tx, event: ConsumedEvent<D>): Promise<void>;
  /**
   * Failed handler attempts before dead-lettering (default 5), counted in the database. Deliveries
   * spent on infrastructure failures or on waiting do not count; the durable has max_deliver -1.
   */
  maxDeliver?: number;
  /** nak delay after failed attempt n is backoffMs[n-1]; the last one repeats (default 1s, 5s, 15s, 30s). */
  backoffMs?: number[];
  /**
   * nak delays while the infrastructure fails, by consecutive failures; the last repeats (default
   * 0.5 s, 1 s, 2 s, 5 s). Capped low on purpose: each retry against a down database fails at once
   * (cheap), and the cap is how late an event is taken up again once it is back (the MariaDB outage
   * test: a 30 s cap left events waiting ~28 s after the restart).
   */
  infraBackoffMs?: number[];
  /** How long an every-fact event waits for its aggregate's earlier events before it is dead-lettered (default 10 min). */
  maxWaitMs?: number;
  /** Inbox rows are kept this long (default 30 days; keep it above the stream's max age). */
  inboxRetentionMs?: number;
  /** Bound on delivered, unacknowledged messages (default 64). */
  maxAckPending?: number;
  /** Redelivery after this long without ack; long handlers send `working()` (default 30 s). */
  ackWaitMs?: number;
  /** Messages handled at once; one aggregate's events still run one after another (default 4). */
  concurrency?: number;
  /** How long stop() waits for running handlers before it naks them (default 10 s). */
  stopTimeoutMs?: number;
  /** Lag gauge refresh interval (default 5 s). */
  lagRefreshMs?: number;
  /** Settings of the shared dead-letter stream `<PREFIX>_DLQ` (default 1 replica, 14 days, 2 min duplicate window). */
  deadLetterStream?: StreamSettings;
  /** Handles each event in the trace its envelope carries (a CONSUMER span when recording). */
  tracing?: Tracing;
}

export type ConsumerSettings<D extends DescMessage> = Required<Omit<ConsumerOptions<D>, "tracing">> &
  Pick<ConsumerOptions<D>, "tracing">;

export function consumerSettings<D extends DescMessage>(opts: ConsumerOptions<D>): ConsumerSettings<D> {
  const s: ConsumerSettings<D> = {
    maxDeliver: 5,
    backoffMs: [1000, 5000, 15000, 30000],
    infraBackoffMs: [500, 1000, 2000, 5000],
    maxWaitMs: 10 * 60_000,
    inboxRetentionMs: 30 * 24 * 3600_000,
    maxAckPending: 64,
    ackWaitMs: 30_000,
    concurrency: 4,
    stopTimeoutMs: 10_000,
    lagRefreshMs: 5000,
    deadLetterStream: { replicas: 1, maxAgeMs: 14 * 24 * 3600_000, duplicateWindowMs: 120_000 },
    ...opts,
    sequenceGroup: opts.sequenceGroup ?? opts.name,
  };
  if (!(s.maxDeliver >= 1)) throw new Error("maxDeliver must be at least 1");
  if (!(s.concurrency >= 1)) throw new Error("concurrency must be at least 1");
  return s;
}

export type Decoded<D extends DescMessage> = { ok: true; event: ConsumedEvent<D> } | { ok: false; reason: string };

/**
 * Decodes a delivered message with a registry holding only the consumer's event type: anything
 * else (not an envelope, another payload type, ids the inbox columns cannot hold) is undecodable
 * and goes to the dead-letter stream at once.
 */
export function decodeEvent<D extends DescMessage>(data: Uint8Array, registry: ProtoRegistry): Decoded<D> {
  try {
    const { envelope, payload } = decodeEnvelope(data, registry);
    // the inbox columns: event_id varchar(36), aggregate type/id varchar(64)
    if (envelope.eventId === "" || envelope.eventId.length > 36)
      throw new UndecodableEventError(`invalid event id ${JSON.stringify(envelope.eventId)}`);
    if (envelope.aggregateType.length > 64 || envelope.aggregateId.length > 64)
      throw new UndecodableEventError(`event ${envelope.eventId}: aggregate type/id too long`);
    return { ok: true, event: { envelope, payload: payload as MessageShape<D> } };
  } catch (e) {
    return { ok: false, reason: e instanceof UndecodableEventError ? e.message : `undecodable: ${describeError(e)}` };
  }
}
