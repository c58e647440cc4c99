import {
  create,
  type DescMessage,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
  type Registry,
  toBinary,
} from "@bufbuild/protobuf";
import { anyPack, anyUnpack, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type EventEnvelope, EventEnvelopeSchema } from "../../gen/boxoffice/common/v1/envelope_pb.js";
import type { InfraNames } from "../config/names.js";

export { type EventEnvelope, EventEnvelopeSchema } from "../../gen/boxoffice/common/v1/envelope_pb.js";

/**
 * An integration event type: a message of the producer's `events.proto`. Its subject is
 * `<prefix>.<producer>.<name>`, where `name` is the message name in snake_case
 * (`OrderConfirmed` → `order_confirmed`).
 */
export interface EventType<D extends DescMessage = DescMessage> {
  readonly schema: D;
  readonly producer: string;
  readonly name: string;
}

export function eventType<D extends DescMessage>(schema: D, producer: string): EventType<D> {
  return { schema, producer, name: schema.name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase() };
}

export function subjectOf(names: InfraNames, type: EventType): string {
  return names.subject(type.producer, type.name);
}

/** What identifies the changed aggregate; `version` increases with every change of it. */
export interface AggregateRef {
  type: string;
  id: string;
  version: number | bigint;
}

/** Wraps a payload in the one envelope every integration event travels in. */
export function envelope<D extends DescMessage>(
  type: EventType<D>,
  payload: MessageInitShape<D>,
  meta: {
    eventId: string;
    occurMs: number;
    aggregate: AggregateRef;
    /** The event's place among its aggregate's published events (0: none assigned). */
    sequence?: number;
    traceparent?: string;
    tracestate?: string;
    causationId?: string;
    correlationId?: string;
  },
): EventEnvelope {
  return create(EventEnvelopeSchema, {
    eventId: meta.eventId,
    eventType: type.schema.typeName,
    producer: type.producer,
    aggregateType: meta.aggregate.type,
    aggregateId: meta.aggregate.id,
    aggregateVersion: BigInt(meta.aggregate.version),
    aggregateSequence: BigInt(meta.sequence ?? 0),
    occurTime: timestampFromMs(meta.occurMs),
    traceparent: meta.traceparent ?? "",
    tracestate: meta.tracestate ?? "",
    causationId: meta.causationId ?? "",
    correlationId: meta.correlationId ?? "",
    payload: anyPack(type.schema, create(type.schema, payload)),
  });
}

export function encodeEnvelope(env: EventEnvelope): Uint8Array {
  return toBinary(EventEnvelopeSchema, env);
}

/** A message that cannot be turned into a known event: it goes to the dead-letter stream at once. */
export class UndecodableEventError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "UndecodableEventError";
  }
}

/** Decodes an envelope and its payload with the consumer's registry of known event types. */
export function decodeEnvelope(
  bytes: Uint8Array,
  registry: Registry,
): { envelope: EventEnvelope; payload: MessageShape<DescMessage> } {
  let env: EventEnvelope;
  try {
    env = fromBinary(EventEnvelopeSchema, bytes);
  } catch (e) {
    throw new UndecodableEventError(`not an EventEnvelope: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
    });
  }
  if (env.payload === undefined) throw new UndecodableEventError(`event ${env.eventId} has no payload`);
  let payload: MessageShape<DescMessage> | undefined;
  try {
    payload = anyUnpack(env.payload, registry);
  } catch (e) {
    throw new UndecodableEventError(
      `event ${env.eventId}: payload does not decode: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
  if (payload === undefined)
    throw new UndecodableEventError(`event ${env.eventId}: unknown type ${env.payload.typeUrl}`);
  return { envelope: env, payload };
}
