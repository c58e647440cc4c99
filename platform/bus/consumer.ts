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
import { SpanKind } from "../tracing/index.js";
import { KeyedDispatcher } from "./consumer-dispatch.js";
import { isInfrastructureError, WaitingForEarlierEvent } from "./consumer-errors.js";
import { applyOnce, failedAttempts, pruneInbox, recordFailure, skipDeadLettered } from "./consumer-inbox.js";
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
import { consumerToken, publishDeadLetter, replayHeader } from "./dead-letter.js";
import { subjectOf } from "./events.js";
import { ensureDeadLetterStream, isStreamNotFound } from "./nats.js";

export type { ConsumerKind } from "./consumer-inbox.js";
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
  /** Set while the producer's stream is missing, so the wait is logged once. */
  #waitingForStream = false;
  #loop: Promise<void> | undefined;
  #messages: ConsumerMessages | undefined;
  #dispatcher = new KeyedDispatcher<JsMsg>(1);
  #lag: LagRefresher | undefined;
  #pause: { promise: Promise<void>; cancel(): void } | undefined;
  #infraFailures = 0;
  /** Every-fact events waiting for earlier ones: since when (bounded by maxWaitMs). */
  readonly #waitingSince = new Map<string, number>();
  #pruner: NodeJS.Timeout | undefined;

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
      // normal at start-up when the producer runs elsewhere or starts later: said once, at info
      this.#waitingForStream = true;
      this.#log.info({ stream: this.#stream }, "waiting for the producer's stream");
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
    this.#pruner = setInterval(() => void this.#prune(), 3600_000);
    this.#pruner.unref();
  }

  /** Drops inbox rows past their retention (hourly; several instances doing it at once is harmless). */
  async #prune(): Promise<void> {
    try {
      const before = new Date(this.#o.clock.now() - this.#o.inboxRetentionMs);
      const n = await pruneInbox(this.#o.db, this.#o.name, before);
      if (n > 0) this.#log.info({ pruned: n }, "inbox pruned");
    } catch (err) {
      this.#log.warn({ err }, "inbox pruning failed; next hour then");
    }
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
    clearInterval(this.#pruner);
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
        this.#waitingForStream = false;
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
        if (!this.#running) {
          // stopping: nothing to say
        } else if (isStreamNotFound(e)) {
          // The producer has not created its stream yet (it starts later, or in another process):
          // normal at start-up, so said once and without a stack; the loop retries with backoff.
          if (!this.#waitingForStream) this.#log.info({ stream: this.#stream }, "waiting for the producer's stream");
          this.#waitingForStream = true;
        } else {
          this.#log.warn({ err: e }, "consuming interrupted; resuming");
        }
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
      if (s.type === "stream_not_found" && !this.#waitingForStream) {
        this.#waitingForStream = true;
        this.#log.info({ stream: this.#stream }, "waiting for the producer's stream");
      }
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
      else if (this.#o.tracing === undefined) outcome = await this.#apply(m, decoded.event, deliveries);
      else outcome = await this.#traced(m, decoded.event, deliveries);
    } catch (err) {
      // the dead-letter publish (or the failure count) failed: never term() a message that is not in the DLQ
      this.#log.error({ err, seq: m.info.streamSequence }, "dead-lettering failed; will retry");
      m.nak(this.#infraDelay());
      outcome = "infra_retry";
    }
    end({ outcome });
    this.#m.handled.inc({ consumer, outcome });
  }

  /** {@link #apply} continuing the trace in the envelope: a CONSUMER span `process <subject>` when recording. */
  #traced(m: JsMsg, event: ConsumedEvent<D>, deliveries: number): Promise<ConsumerOutcome> {
    const env = event.envelope;
    return this.#o.tracing!.continueFrom(
      env,
      `process ${this.#subject}`,
      SpanKind.CONSUMER,
      {
        "messaging.system": "nats",
        "messaging.operation.type": "process",
        "messaging.destination.name": this.#subject,
        "messaging.consumer.group.name": this.#durable,
        "messaging.message.id": env.eventId,
        "messaging.nats.delivery_count": deliveries,
        "boxoffice.consumer": this.#o.name,
        "boxoffice.event_type": env.eventType,
        "boxoffice.aggregate_id": env.aggregateId,
      },
      async (span) => {
        const outcome = await this.#apply(m, event, deliveries);
        span?.setAttribute("boxoffice.consumer.outcome", outcome);
        return outcome;
      },
    );
  }

  async #apply(m: JsMsg, event: ConsumedEvent<D>, deliveries: number): Promise<ConsumerOutcome> {
    const o = this.#o;
    const eventId = event.envelope.eventId;
    if (deliveries > 1) {
      // the last attempt failed and its dead-lettering did not finish (crash, or the DLQ publish failed)
      const attempts = await failedAttempts(o.db, o.name, eventId);
      if (attempts >= o.maxDeliver) return this.#deadLetter(m, `handler failed ${attempts} times`, event);
    }
    const keepAlive = setInterval(() => m.working(), Math.max(500, Math.floor(o.ackWaitMs / 3)));
    let outcome: ConsumerOutcome;
    try {
      outcome = await applyOnce(o.db, o.clock, o.name, o.kind, event.envelope, (tx) => o.handle(tx, event), {
        replay: m.headers?.has(replayHeader) ?? false,
        hadFailures: deliveries > 1,
        group: o.sequenceGroup,
      });
      this.#infraFailures = 0;
    } catch (err) {
      return this.#failed(m, event, err);
    } finally {
      clearInterval(keepAlive);
    }
    this.#stopWaiting(eventId);
    try {
      await m.ackAck();
    } catch (err) {
      // committed: a redelivery finds the inbox row and changes nothing
      this.#log.warn({ err, eventId }, "ack not confirmed");
    }
    return outcome;
  }

  /** Decides what a failed attempt means: wait, retry without counting, retry counted, or dead-letter. */
  async #failed(m: JsMsg, event: ConsumedEvent<D>, err: unknown): Promise<ConsumerOutcome> {
    const o = this.#o;
    const eventId = event.envelope.eventId;
    if (err instanceof WaitingForEarlierEvent) {
      const since = this.#waitingSince.get(eventId) ?? o.clock.now();
      if (!this.#waitingSince.has(eventId)) {
        this.#waitingSince.set(eventId, since);
        this.#m.waiting.set({ consumer: o.name }, this.#waitingSince.size);
      }
      const waited = o.clock.now() - since;
      if (waited >= o.maxWaitMs) {
        this.#stopWaiting(eventId);
        return this.#deadLetter(m, `waited ${Math.round(waited / 1000)} s: ${err.message}`);
      }
      m.nak(Math.min(100 * 2 ** Math.min(m.info.deliveryCount, 6), 5000));
      return "waiting";
    }
    if (isInfrastructureError(err)) {
      const delayMs = this.#infraDelay();
      this.#log.warn({ err, eventId, delayMs }, "infrastructure unavailable; retrying the event later (not counted)");
      m.nak(delayMs);
      return "infra_retry";
    }
    this.#infraFailures = 0;
    const attempts = await recordFailure(o.db, o.clock, o.name, eventId, describeError(err));
    if (attempts >= o.maxDeliver) {
      return this.#deadLetter(
        m,
        `handler failed on attempt ${attempts} of ${o.maxDeliver}: ${describeError(err)}`,
        event,
      );
    }
    const delayMs = this.#delay(attempts);
    this.#log.warn({ err, eventId, attempts, delayMs }, "event handler failed; retrying later");
    m.nak(delayMs);
    return "retry";
  }

  #stopWaiting(eventId: string): void {
    if (this.#waitingSince.delete(eventId)) this.#m.waiting.set({ consumer: this.#o.name }, this.#waitingSince.size);
  }

  /** Growing delays while the infrastructure keeps failing (consecutive failures of this consumer). */
  #infraDelay(): number {
    const b = this.#o.infraBackoffMs;
    return b[Math.min(this.#infraFailures++, b.length - 1)] ?? 1000;
  }

  /**
   * Publishes to the dead-letter stream, then terminates the message. For an every-fact consumer
   * the aggregate's sequence first moves past the event, so its later events are not held back.
   */
  async #deadLetter(m: JsMsg, reason: string, event?: ConsumedEvent<D>): Promise<ConsumerOutcome> {
    if (event !== undefined && this.#o.kind === "every-fact")
      await skipDeadLettered(this.#o.db, this.#o.clock, this.#o.sequenceGroup, event.envelope);
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
