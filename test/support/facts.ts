/**
 * Publishes an integration event the way a producer's outbox relay does (the envelope, the
 * producer's stream and subject, `Nats-Msg-Id` = event id), for suites whose producer does not run:
 * the event service's EventCancelled/EventUpdated, the payment stand-in's Payment* events.
 */
import { randomUUID } from "node:crypto";
import type { DescMessage, MessageInitShape } from "@bufbuild/protobuf";
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { type EventType, encodeEnvelope, envelope } from "../../platform/bus/events.js";
import { ensureServiceStream, jetstreamManager } from "../../platform/bus/nats.js";
import { infraNames } from "../../platform/config/names.js";

export async function ensureStream(nc: NatsConnection, prefix: string, producer: string): Promise<void> {
  await ensureServiceStream(await jetstreamManager(nc), infraNames(prefix), producer, {
    replicas: 1,
    maxAgeMs: 3600_000,
    duplicateWindowMs: 120_000,
  });
}

export async function publishFact<D extends DescMessage>(
  nc: NatsConnection,
  prefix: string,
  type: EventType<D>,
  payload: MessageInitShape<D>,
  aggregate: { type: string; id: string; version: number; sequence: number },
): Promise<string> {
  const eventId = randomUUID();
  const env = envelope(type, payload, {
    eventId,
    occurMs: Date.now(),
    aggregate: { type: aggregate.type, id: aggregate.id, version: aggregate.version },
    sequence: aggregate.sequence,
  });
  await jetstream(nc).publish(infraNames(prefix).subject(type.producer, type.name), encodeEnvelope(env), {
    msgID: eventId,
  });
  return eventId;
}
