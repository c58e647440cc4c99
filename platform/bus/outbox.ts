import type { DescMessage, MessageInitShape } from "@bufbuild/protobuf";
import type { NatsConnection } from "@nats-io/transport-node";
import { sql } from "drizzle-orm";
import type { Clock } from "../clock/index.js";
import type { InfraNames } from "../config/names.js";
import type { Db, Tx } from "../db/index.js";
import { outboxEvents, outboxSequences } from "../db/platform-schema.js";
import type { IdGenerator } from "../ids/index.js";
import type { Tracing } from "../tracing/index.js";
import { type AggregateRef, type EventType, encodeEnvelope, envelope, subjectOf } from "./events.js";

/** One integration event to publish because of a change. */
export interface OutboxEvent<D extends DescMessage = DescMessage> {
  type: EventType<D>;
  payload: MessageInitShape<D>;
  aggregate: AggregateRef;
  causationId?: string;
  correlationId?: string;
}

/** The core-NATS subject that wakes a service's relays after a commit (not a stream subject). */
export function wakeSubject(names: InfraNames, service: string): string {
  return `${names.prefix}._outbox.${service}.wake`;
}

/**
 * The producer's side of the transactional outbox: {@link add} writes events as rows in the
 * caller's transaction (the change and its events commit together or not at all); {@link notify}
 * wakes the service's relays after the commit, so publishing starts at once instead of at the next
 * sweep. Services never call it: the command pipeline does (`WriteScope.emit`).
 */
export class Outbox {
  constructor(
    private readonly opts: {
      service: string;
      db: Db;
      names: InfraNames;
      clock: Clock;
      newId: IdGenerator;
      /** Wakes relays of this service in every process (optional: they also sweep). */
      nc?: NatsConnection;
      /** Wakes a relay in this process directly. */
      wakeLocal?: () => void;
      /** Writes the trace of the work in progress into each envelope (a PRODUCER span when recording). */
      tracing?: Tracing;
    },
  ) {}

  /** Writes `events` as outbox rows inside `tx`; returns their event ids. */
  async add(tx: Tx, ...events: OutboxEvent[]): Promise<string[]> {
    if (events.length === 0) return [];
    const now = this.opts.clock.now();
    const sequences: number[] = [];
    for (const e of events) sequences.push(await nextSequence(tx, e.aggregate));
    const rows = events.map((e, i) => {
      if (e.type.producer !== this.opts.service) {
        throw new Error(
          `${this.opts.service} cannot publish ${e.type.schema.typeName}: it belongs to ${e.type.producer}`,
        );
      }
      const eventId = this.opts.newId();
      const subject = subjectOf(this.opts.names, e.type);
      const trace = this.opts.tracing?.producerFields(`create ${subject}`, {
        "messaging.system": "nats",
        "messaging.operation.type": "create",
        "messaging.destination.name": subject,
        "messaging.message.id": eventId,
        "boxoffice.event_type": e.type.schema.typeName,
        "boxoffice.aggregate_id": e.aggregate.id,
      });
      const env = envelope(e.type, e.payload, {
        eventId,
        occurMs: now,
        aggregate: e.aggregate,
        sequence: sequences[i],
        causationId: e.causationId,
        correlationId: e.correlationId,
        traceparent: trace?.traceparent,
        tracestate: trace?.tracestate,
      });
      return {
        eventId,
        subject,
        eventType: e.type.schema.typeName,
        aggregateType: e.aggregate.type,
        aggregateId: e.aggregate.id,
        aggregateVersion: Number(e.aggregate.version),
        envelope: Buffer.from(encodeEnvelope(env)),
        createTime: new Date(now),
      };
    });
    await tx.insert(outboxEvents).values(rows);
    return rows.map((r) => r.eventId);
  }

  /** Tells the relays that rows are waiting. Best effort: a lost wake-up costs one sweep interval. */
  notify(): void {
    this.opts.wakeLocal?.();
    const nc = this.opts.nc;
    if (nc !== undefined && !nc.isClosed()) {
      try {
        nc.publish(wakeSubject(this.opts.names, this.opts.service));
      } catch {
        // disconnected: the sweep picks the rows up
      }
    }
  }
}

/**
 * The next gap-free sequence number of `aggregate`'s published events, taken in `tx`: the counter
 * row stays locked until the transaction ends, so concurrent writers about one aggregate get
 * consecutive numbers in commit order, and a rolled-back transaction leaves no gap.
 *
 * One round trip: the upsert hands its new value back through `LAST_INSERT_ID(expr)`, which
 * MariaDB returns in the statement's OK packet as the insert id (the counter idiom of its manual),
 * instead of a SELECT after it — every statement is a round trip on the write path.
 */
async function nextSequence(tx: Tx, aggregate: AggregateRef): Promise<number> {
  if (aggregate.type === "" || aggregate.id === "") return 0;
  const [r] = (await tx
    .insert(outboxSequences)
    .values({ aggregateType: aggregate.type, aggregateId: aggregate.id, lastSequence: sql`LAST_INSERT_ID(1)` })
    .onDuplicateKeyUpdate({
      set: { lastSequence: sql`LAST_INSERT_ID(${outboxSequences.lastSequence} + 1)` },
    })) as unknown as [{ insertId: number }];
  const n = Number(r.insertId);
  if (!(n > 0)) throw new Error(`outbox sequence of ${aggregate.type} ${aggregate.id}: no value came back`);
  return n;
}
