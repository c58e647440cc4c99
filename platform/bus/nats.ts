import {
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from "@nats-io/jetstream";
import { connect, type NatsConnection, nanos } from "@nats-io/transport-node";
import type { InfraNames } from "../config/names.js";

/** Connects to NATS and keeps reconnecting forever: a broker restart must not end the process. */
export function connectNats(url: string, name: string): Promise<NatsConnection> {
  return connect({
    servers: url,
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: true,
    pingInterval: 10_000,
  });
}

/** Stream settings from configuration: 1 replica locally, 3 in a cluster. */
export interface StreamSettings {
  replicas: number;
  maxAgeMs: number;
  /** JetStream drops a second message with the same Nats-Msg-Id within this window. */
  duplicateWindowMs: number;
}

/**
 * Creates or updates a producing service's stream `<PREFIX>_<SVC>` on `<prefix>.<svc>.>` at start-up.
 * Only features of nats-server 2.9 (what Debian ships) are used.
 */
export async function ensureServiceStream(
  jsm: JetStreamManager,
  names: InfraNames,
  service: string,
  s: StreamSettings,
): Promise<string> {
  return ensureStream(jsm, {
    name: names.stream(service),
    subjects: [names.subject(service, ">")],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    num_replicas: s.replicas,
    max_age: nanos(s.maxAgeMs),
    duplicate_window: nanos(s.duplicateWindowMs),
  });
}

/** The dead-letter stream `<PREFIX>_DLQ` on `<prefix>.dlq.>` (one subject per consumer). */
export async function ensureDeadLetterStream(
  jsm: JetStreamManager,
  names: InfraNames,
  s: StreamSettings,
): Promise<string> {
  return ensureStream(jsm, {
    name: names.stream("dlq"),
    subjects: [names.subject("dlq", ">")],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    num_replicas: s.replicas,
    max_age: nanos(Math.max(s.maxAgeMs, 14 * 24 * 3600_000)),
    duplicate_window: nanos(s.duplicateWindowMs),
  });
}

async function ensureStream(jsm: JetStreamManager, cfg: Partial<StreamConfig> & { name: string }): Promise<string> {
  try {
    await jsm.streams.info(cfg.name);
    await jsm.streams.update(cfg.name, cfg);
  } catch (e) {
    if (!isStreamNotFound(e)) throw e;
    await jsm.streams.add(cfg);
  }
  return cfg.name;
}

/** The one "stream not found" check: JetStream's API error code, not its message text. */
export function isStreamNotFound(e: unknown): boolean {
  return e instanceof JetStreamApiError && e.code === JetStreamApiCodes.StreamNotFound;
}

export { jetstreamManager };
