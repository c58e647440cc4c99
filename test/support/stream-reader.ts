import assert from "node:assert/strict";
import type { DescMessage, MessageShape, Registry } from "@bufbuild/protobuf";
import { type JetStreamManager, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { decodeEnvelope, type EventEnvelope } from "../../platform/bus/events.js";
import { connectNats } from "../../platform/bus/nats.js";
import { sleep } from "../../platform/clock/index.js";
import { infraUrls } from "./infra.js";

/** One message a producer's stream carried, decoded. */
export interface StreamMessage {
  subject: string;
  envelope: EventEnvelope;
  payload: MessageShape<DescMessage>;
}

/**
 * Reads a producer's JetStream stream from the start, message by message, as a consumer would see
 * it (every message, duplicates included: what was published, not what a consumer dedupes).
 */
export class StreamReader {
  readonly seen: StreamMessage[] = [];
  #next = 1;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    readonly stream: string,
    private readonly registry: Registry,
  ) {}

  static async open(stream: string, registry: Registry): Promise<StreamReader> {
    const nc = await connectNats(infraUrls().natsUrl, `stream-reader-${stream}`);
    return new StreamReader(nc, await jetstreamManager(nc), stream, registry);
  }

  async poll(): Promise<StreamMessage[]> {
    const info = await this.jsm.streams.info(this.stream).catch(() => undefined);
    if (info === undefined) return this.seen;
    for (; this.#next <= info.state.last_seq; this.#next++) {
      const m = await this.jsm.streams.getMessage(this.stream, { seq: this.#next }).catch(() => null);
      if (m === null) continue;
      const { envelope, payload } = decodeEnvelope(m.data, this.registry);
      this.seen.push({ subject: m.subject, envelope, payload });
    }
    return this.seen;
  }

  /** Polls until `find` returns something (the relay publishes shortly after the commit). */
  async waitFor<T>(what: string, find: (seen: StreamMessage[]) => T | undefined, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = find(await this.poll());
      if (found !== undefined) return found;
      if (Date.now() > deadline) assert.fail(`${what} did not appear on ${this.stream} within ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  close(): Promise<void> {
    return this.nc.close();
  }
}
