import { createRegistry, type DescMessage, type Registry as ProtoRegistry } from "@bufbuild/protobuf";
import {
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  jetstream,
  jetstreamManager,
} from "@nats-io/jetstream";
import type { Logger } from "../log/index.js";
import { KeyedDispatcher } from "./consumer-dispatch.js";
import { applyOnce } from "./consumer-inbox.js";
import { type ConsumerMetrics, type ConsumerOutcome, consumerMetrics, LagRefresher } from "./consumer-metrics.js";
import { cancellableDelay, describeError, ensureDurable } from "./consumer-nats.js";
import {
  type ConsumedEvent,
  type ConsumerOptions,
  type ConsumerSettings,
  consumerSettings,
  type Decoded,
  decodeEvent,
} from "./consumer-options.js";
import { consumerToken, publishDeadLetter } from "./dead-letter.js";
import { subjectOf } from "./events.js";
import { ensureDeadLetterStream, isStreamNotFound } from "./nats.js";

export type { ConsumedEvent, ConsumerOptions } from "./consumer-options.js";

/**
 * A durable pull consumer of one event type with inbox semantics: each event is applied at most
 * once per consumer (inbox row + effect in one transaction, then ack), stale aggregate versions are
 * skipped, failures are retried with growing nak delays and dead-lettered after `maxDeliver`
 * attempts, undecodable messages at once. Survives NATS restarts: the loop resumes by itself.
 */
export class EventConsumer<D extends DescMessage> {
  readonly #o: ConsumerSettings<D>;
  readonly #stream: string;
  readonly #durable: string;
  readonly #subject: string;
  readonly #registry: ProtoRegistry;
  readonly #m: ConsumerMetrics;
  readonly #log: Logger;
  readonly #js: JetStreamClient;
  #jsm: JetStreamManager | undefined;
  #running = false;
  #starting: Promise<void> | undefined;
  #ensured = false;
  #loop: Promise<void> | undefined;
  #messages: ConsumerMessages | undefined;
  #dispatcher = new KeyedDispatcher<JsMsg>(1);
  #lag: LagRefresher | undefined;
  #pause: { promise: Promise<void>; cancel(): void } | undefined;

  constructor(opts: ConsumerOptions<D>) {
    this.#o = consumerSettings(opts);
    this.#stream = opts.names.stream(opts.type.producer);
    this.#durable = opts.names.durable(consumerToken(opts.name));
    this.#subject = subjectOf(opts.names, opts.type);
    this.#registry = createRegistry(opts.type.schema);
    this.#m = consumerMetrics(opts.metrics.registry);
    this.#log = opts.logger.child({ consumer: opts.name });
    this.#js = jetstream(opts.nc, { timeout: 5000 });
  }

  get name(): string {
    return this.#o.name;
  }

  /** The durable consumer's name on the producer's stream. */
  get durable(): string {
    return this.#durable;
  }

  get isRunning(): boolean {
    return this.#running;
  }

  /**
   * Ensures the durable and the dead-letter stream, then consumes in the background. If the
   * producer's stream does not exist yet, start() resolves and the loop keeps trying.
   */
  start(): Promise<void> {
    return (this.#starting ??= this.#start().finally(() => (this.#starting = undefined)));
  }

  async #start(): Promise<void> {
    if (this.#running) return;
    const jsm = (this.#jsm ??= await jetstreamManager(this.#o.nc, { timeout: 5000 }));
    await ensureDeadLetterStream(jsm, this.#o.names, this.#o.deadLetterStream);
    try {
      await this.#ensure();
      this.#ensured = true;
    } catch (e) {
      if (!isStreamNotFound(e)) throw e;
      this.#log.warn({ stream: this.#stream }, "producer stream does not exist yet; waiting for it");
    }
    this.#running = true;
    this.#dispatcher = new KeyedDispatcher(this.#o.concurrency);
    this.#loop = this.#run();
    this.#lag = new LagRefresher(
      this.#m,
      this.#o.name,
      { jsm, stream: this.#stream, durable: this.#durable },
      this.#log,
    );
    this.#lag.start(this.#o.lagRefreshMs);
  }

  /**
   * Stops pulling, naks what was received but not started, lets running handlers finish (they ack)
   * for up to `stopTimeoutMs` and naks those still running after that; resolves with no timer left.
   * On nats-server 2.9.10 a nak'd message reaches another instance at once only if one is pulling;
   * with none, the server loses the immediate redelivery and the message returns after ack_wait.
   */
  async stop(): Promise<void> {
    await this.#starting?.catch(() => {});
    if (!this.#running) return this.#loop;
    this.#running = false;
    const lagStopped = this.#lag?.stop();
    this.#pause?.cancel();
    this.#messages?.stop(); // buffered messages still come out of the iterator and are nak'd
    this.#dispatcher.close();
    const unfinished = await this.#dispatcher.drain(this.#o.stopTimeoutMs);
    if (unfinished.length > 0) {
      this.#log.warn({ inflight: unfinished.length }, "handlers still running at stop; nak'ing them");
      for (const m of unfinished) m.nak(); // a late commit is harmless: the inbox dedupes the redelivery
    }
    await this.#loop;
    await lagStopped;
  }

  async #ensure(): Promise<void> {
    const jsm = this.#jsm!;
    await ensureDurable(jsm, this.#stream, this.#durable, {
      filterSubject: this.#subject,
      maxAckPending: this.#o.maxAckPending,
      ackWaitMs: this.#o.ackWaitMs,
    });
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (this.#running) {
      let messages: ConsumerMessages | undefined;
      try {
        if (!this.#ensured) await this.#ensure();
        this.#ensured = true;
        const consumer = await this.#js.consumers.get(this.#stream, this.#durable);
        messages = await consumer.consume({
          max_messages: Math.max(1, Math.min(this.#o.maxAckPending, this.#o.concurrency * 2)),
          expires: 10_000,
        });
        this.#messages = messages;
        if (!this.#running) messages.stop();
        void this.#watch(messages);
        for await (const m of messages) {
          failures = 0;
          await this.#dispatch(m);
        }
      } catch (e) {
        if (this.#running) this.#log.warn({ err: e }, "consuming interrupted; resuming");
      } finally {
        messages?.stop();
        this.#messages = undefined;
      }
      // The iterator ended: stop(), a closed connection, or a durable that must be recreated.
      this.#ensured = false;
      if (this.#o.nc.isClosed()) {
        if (this.#running) this.#log.error("NATS connection closed; consumer ends");
        return;
      }
      if (this.#running) {
        this.#pause = cancellableDelay(Math.min(100 * 2 ** failures++, 5000));
        await this.#pause.promise;
        this.#pause = undefined;
      }
    }
  }

  /** A deleted durable (reset by an operator, or a stream recreated) is recreated by the loop. */
  async #watch(messages: ConsumerMessages): Promise<void> {
    for await (const s of messages.status()) {
      if (s.type === "consumer_deleted" || s.type === "consumer_not_found") {
        this.#log.warn({ durable: this.#durable, status: s.type }, "durable consumer gone; recreating it");
        messages.stop();
        return;
      }
      if (s.type === "stream_not_found") this.#log.warn({ stream: this.#stream }, "producer stream not found");
    }
  }

  /** Waits for a free slot, then runs the message after the previous one of its aggregate. */
  async #dispatch(m: JsMsg): Promise<void> {
    if (!(await this.#dispatcher.slot()) || !this.#running) {
      m.nak(); // received but not started: hand it back now rather than after ack_wait
      return;
    }
    const decoded = decodeEvent<D>(m.data, this.#registry);
    const env = decoded.ok ? decoded.event.envelope : undefined;
    const key =
      env !== undefined && env.aggregateId !== "" ? `${env.aggregateType}\u0000${env.aggregateId}` : undefined;
    this.#dispatcher.run(key, m, async () => {
      try {
        await this.#process(m, decoded);
      } catch (err) {
        this.#log.error({ err, seq: m.info.streamSequence }, "event processing failed");
      }
    });
  }

  async #process(m: JsMsg, decoded: Decoded<D>): Promise<void> {
    if (!this.#running) {
      m.nak(); // queued behind its aggregate's previous event when stop() came: not started
      return;
    }
    const consumer = this.#o.name;
    const deliveries = m.info.deliveryCount;
    if (deliveries > 1) this.#m.redeliveries.inc({ consumer });
    const end = this.#m.handlingSeconds.startTimer({ consumer });
    let outcome: ConsumerOutcome;
    try {
      if (!decoded.ok) outcome = await this.#deadLetter(m, decoded.reason);
      else if (deliveries > this.#o.maxDeliver) {
        // the previous attempt was the last and never answered (crash, or a failed dead-letter publish)
        outcome = await this.#deadLetter(
          m,
          `delivered ${deliveries} times, more than maxDeliver ${this.#o.maxDeliver}; not attempted again`,
        );
      } else outcome = await this.#apply(m, decoded.event, deliveries);
    } catch (err) {
      // the dead-letter publish failed: never term() a message that is not in the DLQ
      this.#log.error({ err, seq: m.info.streamSequence }, "dead-lettering failed; will retry");
      m.nak(this.#delay(deliveries));
      outcome = "retry";
    }
    end({ outcome });
    this.#m.handled.inc({ consumer, outcome });
  }

  async #apply(m: JsMsg, event: ConsumedEvent<D>, deliveries: number): Promise<ConsumerOutcome> {
    const keepAlive = setInterval(() => m.working(), Math.max(500, Math.floor(this.#o.ackWaitMs / 3)));
    let outcome: ConsumerOutcome;
    try {
      outcome = await applyOnce(this.#o.db, this.#o.clock, this.#o.name, event.envelope, (tx) =>
        this.#o.handle(tx, event),
      );
    } catch (err) {
      const eventId = event.envelope.eventId;
      if (deliveries >= this.#o.maxDeliver)
        return this.#deadLetter(
          m,
          `handler failed on delivery ${deliveries} of ${this.#o.maxDeliver}: ${describeError(err)}`,
        );
      const delayMs = this.#delay(deliveries);
      this.#log.warn({ err, eventId, deliveries, delayMs }, "event handler failed; retrying later");
      m.nak(delayMs);
      return "retry";
    } finally {
      clearInterval(keepAlive);
    }
    try {
      await m.ackAck();
    } catch (err) {
      // committed: a redelivery finds the inbox row and changes nothing
      this.#log.warn({ err, eventId: event.envelope.eventId }, "ack not confirmed");
    }
    return outcome;
  }

  async #deadLetter(m: JsMsg, reason: string): Promise<ConsumerOutcome> {
    await publishDeadLetter(this.#js, this.#o.names, {
      consumer: this.#o.name,
      msg: m,
      reason,
      time: this.#o.clock.date(),
    });
    m.term(); // no reason: nats-server 2.9 redelivers a term with a reason
    this.#m.deadLetters.inc({ consumer: this.#o.name });
    this.#log.error(
      { subject: m.subject, seq: m.info.streamSequence, deliveries: m.info.deliveryCount, reason },
      "event dead-lettered",
    );
    return "dead_letter";
  }

  #delay(deliveries: number): number {
    const b = this.#o.backoffMs;
    return b.length === 0 ? 0 : (b[Math.min(deliveries, b.length) - 1] ?? 0);
  }
}
