/**
 * The sender: claims due notifications, delivers each through its channel, records every attempt,
 * and schedules the next one. Any number of senders (threads of one process, or processes) may run
 * on one database: a claim is a row lock taken with SKIP LOCKED plus a lease, so no two send the
 * same notification at once. See docs/notification.md for the one window in which a message can
 * go out twice, and how that is made recognisable.
 */
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { Clock } from "../../../platform/clock/index.js";
import { type Db, isDatabaseUnavailable } from "../../../platform/db/index.js";
import type { IdGenerator } from "../../../platform/ids/index.js";
import { SpanKind, type Tracing } from "../../../platform/tracing/index.js";
import {
  type AttemptEnd,
  type Claim,
  claimDue,
  finishAttempt,
  oldestPendingCreateTime,
  renewLease,
} from "../db/repository.js";
import { afterFailure, backoffMs, type RetryPolicy } from "../domain/backoff.js";
import { InvalidPayloadError, parseContent } from "../domain/kinds.js";
import type { ChannelName, DeliveryChannel, DeliveryResult } from "./channel.js";
import { type SenderMetrics, senderMetrics } from "./metrics.js";

/** Who a user is to a channel; null when the user does not exist (a permanent failure). */
export type RecipientResolver = (userId: string) => Promise<{ address: string; name: string } | null>;

export interface SenderOptions {
  db: Db;
  channels: Partial<Record<ChannelName, DeliveryChannel>>;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
  registry: Registry;
  /** names this sender in delivery records and logs */
  instance: string;
  retry: RetryPolicy;
  /** pause of a channel after failures to reach its server (default: the retry policy's delays) */
  pause?: { baseMs: number; maxMs: number };
  /**
   * how long a claim stays exclusive without a sign of life from its sender (default 120 s): renewed
   * every third of it while the attempt runs, so only a sender that died (or lost the database)
   * lets it run out
   */
  leaseMs?: number;
  /** attempts in flight at once (default 4) */
  concurrency?: number;
  /** how often an idle sender looks for due notifications (default 1000 ms) */
  pollMs?: number;
  /** how often the oldest-unsent gauge is refreshed (default 5000 ms) */
  gaugeMs?: number;
  /** for notifications created without an address (the consumer left it to the sender) */
  resolveRecipient?: RecipientResolver;
  random?: () => number;
  /** each attempt continues the trace stored with its notification (a span per attempt when recording) */
  tracing?: Tracing;
}

type Failure = Extract<DeliveryResult, { ok: false }> & { reason?: "invalid" | "no_recipient" };
/** What one attempt came to, and to whom. */
type Attempt = { result: DeliveryResult | Failure; recipient?: { address: string; name: string } };

export class NotificationSender {
  readonly #o: Required<Omit<SenderOptions, "resolveRecipient" | "pause" | "tracing">> &
    Pick<SenderOptions, "resolveRecipient" | "tracing"> & { pause: { baseMs: number; maxMs: number } };
  readonly #m: SenderMetrics;
  #running = false;
  #workers: Promise<void>[] = [];
  #sleepers = new Set<() => void>();
  #gaugeTimer: NodeJS.Timeout | undefined;
  #gaugeRun: Promise<void> = Promise.resolve();
  /** consecutive attempts that could not reach a channel's server, and until when it rests */
  #down = new Map<ChannelName, { failures: number; until: number; probing: boolean }>();

  constructor(opts: SenderOptions) {
    this.#o = {
      leaseMs: 120_000,
      concurrency: 4,
      pollMs: 1000,
      gaugeMs: 5000,
      random: Math.random,
      ...opts,
      pause: opts.pause ?? { baseMs: opts.retry.baseMs, maxMs: opts.retry.maxMs },
    };
    this.#m = senderMetrics(opts.registry);
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#workers = Array.from({ length: this.#o.concurrency }, () => this.#work());
    const gauge = () => {
      this.#gaugeRun = this.refreshGauge()
        .catch((e: unknown) => this.#o.logger.warn({ err: e }, "could not read the oldest unsent notification"))
        .finally(() => {
          if (this.#running) this.#gaugeTimer = setTimeout(gauge, this.#o.gaugeMs);
        });
    };
    gauge();
  }

  /** Look for due notifications now (after a commit that enqueued some) instead of at the next poll. */
  wake(): void {
    for (const wakeUp of this.#sleepers) wakeUp();
  }

  /** Stops claiming; attempts in flight finish and are recorded. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    clearTimeout(this.#gaugeTimer);
    this.wake();
    await Promise.all([...this.#workers, this.#gaugeRun]);
  }

  /** Sets notification_oldest_unsent_seconds from the database. */
  async refreshGauge(): Promise<void> {
    const oldest = await oldestPendingCreateTime(this.#o.db.orm);
    this.#m.oldestUnsentSeconds.set(oldest ? Math.max(0, (this.#o.clock.now() - oldest.getTime()) / 1000) : 0);
  }

  async #work(): Promise<void> {
    let errors = 0;
    while (this.#running) {
      try {
        const wait = this.#gate();
        if (wait > 0) {
          await this.#sleep(wait);
          continue;
        }
        const now = this.#o.clock.date();
        const [claim] = await claimDue(this.#o.db, {
          now,
          leaseMs: this.#o.leaseMs,
          limit: 1,
          instance: this.#o.instance,
          newId: this.#o.ids,
        });
        if (claim === undefined) {
          this.#releaseProbes();
          await this.#sleep(this.#o.pollMs);
          continue;
        }
        await this.#attempt(claim);
        errors = 0;
      } catch (e) {
        // the database, most likely: the claimed row (if any) comes back when its lease runs out
        errors++;
        this.#releaseProbes();
        this.#o.logger.warn({ err: e, instance: this.#o.instance }, "notification sender iteration failed");
        await this.#sleep(Math.min(this.#o.pollMs * 2 ** Math.min(errors, 6), 30_000));
      }
    }
  }

  /**
   * Milliseconds to wait before claiming: while a channel rests after failing to reach its server,
   * and afterwards while one attempt probes it (one, not `concurrency`, so a server that is still
   * down sees one connection per pause). With one channel this gates the whole sender.
   */
  #gate(): number {
    const now = this.#o.clock.now();
    for (const d of this.#down.values()) {
      if (now < d.until) return d.until - now;
      if (d.probing) return Math.min(this.#o.pollMs, 100);
    }
    for (const d of this.#down.values()) d.probing = true;
    return 0;
  }

  #releaseProbes(): void {
    for (const d of this.#down.values()) d.probing = false;
  }

  async #attempt(claim: Claim): Promise<void> {
    const { row } = claim;
    const channelName = row.channel as ChannelName;
    const t0 = performance.now();
    const { result, recipient } = await this.#keepingTheLease(claim, () => this.#tracedDelivery(claim));
    const at = this.#o.clock.date();
    const labels = { channel: row.channel, kind: row.kind };
    let end: AttemptEnd;
    if (result.ok) {
      end = { outcome: "SENT", state: "SENT", nextAttemptTime: null, detail: result.detail, recipient, at };
    } else {
      const next = afterFailure(
        result.permanent ? "permanent" : "temporary",
        claim.attempt,
        at.getTime(),
        this.#o.retry,
        this.#o.random,
      );
      end = {
        outcome: result.permanent ? "PERMANENT_FAILURE" : "TEMPORARY_FAILURE",
        state: next.state,
        nextAttemptTime: next.state === "PENDING" ? next.nextAttemptTime : null,
        detail: result.detail,
        recipient,
        at,
      };
    }
    const ours = await this.#finish(claim, end);
    this.#m.attemptSeconds.observe({ channel: row.channel, outcome: end.outcome }, (performance.now() - t0) / 1000);
    this.#channelOutcome(channelName, result);
    if (!ours) {
      this.#m.leaseLost.inc({ channel: row.channel });
      this.#o.logger.warn(
        { notification: row.id, attempt: claim.attempt, outcome: end.outcome },
        "notification attempt outlived its lease; another sender may have delivered it too",
      );
      return;
    }
    if (end.state === "SENT") this.#m.sent.inc(labels);
    else if (end.state === "PENDING") this.#m.retried.inc(labels);
    else {
      const reason =
        "reason" in result && result.reason !== undefined
          ? result.reason
          : end.outcome === "PERMANENT_FAILURE"
            ? "permanent"
            : "exhausted";
      this.#m.failed.inc({ ...labels, reason });
      this.#o.logger.warn(
        { notification: row.id, kind: row.kind, attempts: claim.attempt, reason, detail: end.detail },
        "notification failed",
      );
    }
  }

  /**
   * Records the attempt's outcome. The sender knows it (the server accepted the message, or not),
   * so while the database is unreachable it keeps it and tries again, with growing delays, for as
   * long as it runs: otherwise the row would stay claimed until its lease ran out (120 s) and a
   * message already accepted would go out a second time (the MariaDB outage test found one).
   */
  async #finish(claim: Claim, end: AttemptEnd): Promise<boolean> {
    for (let failures = 0; ; failures++) {
      try {
        return await finishAttempt(this.#o.db, claim, end);
      } catch (e) {
        if (!isDatabaseUnavailable(e) || !this.#running) throw e;
        const delayMs = Math.min(200 * 2 ** failures, 5_000);
        if (failures === 0)
          this.#o.logger.warn(
            { err: e, notification: claim.row.id, outcome: end.outcome },
            "database unavailable: keeping the attempt's outcome until it can be recorded",
          );
        await this.#sleep(delayMs);
      }
    }
  }

  /**
   * Runs `attempt` while renewing the claim's lease every third of it. An attempt is never cut off
   * by the sender: giving up on a send the server may still accept is what would send twice. The
   * channel's own timeouts bound it (BOXOFFICE_SMTP_TIMEOUT_MS per step of the SMTP dialogue).
   */
  async #keepingTheLease<T>(claim: Claim, attempt: () => Promise<T>): Promise<T> {
    let running = true;
    const renew = setInterval(
      () => {
        const until = new Date(this.#o.clock.now() + this.#o.leaseMs);
        renewLease(this.#o.db.orm, claim, until).then(
          (ours) => {
            if (!ours && running)
              this.#o.logger.warn({ notification: claim.row.id }, "notification claim lost during its attempt");
          },
          (e: unknown) => this.#o.logger.warn({ err: e, notification: claim.row.id }, "could not renew a claim"),
        );
      },
      Math.max(20, Math.floor(this.#o.leaseMs / 3)),
    );
    try {
      return await attempt();
    } finally {
      running = false;
      clearInterval(renew);
    }
  }

  /** {@link #deliver} in the trace of the work that queued the notification. */
  #tracedDelivery(claim: Claim): Promise<Attempt> {
    const { row } = claim;
    const tracing = this.#o.tracing;
    if (tracing === undefined) return this.#deliver(claim);
    const attributes = {
      "boxoffice.notification.id": row.id,
      "boxoffice.notification.kind": row.kind,
      "boxoffice.notification.channel": row.channel,
      "boxoffice.notification.attempt": claim.attempt,
      "boxoffice.order_id": row.orderId,
    };
    return tracing.continueFrom(
      row,
      `deliver ${row.channel} ${row.kind}`,
      SpanKind.CLIENT,
      attributes,
      async (span) => {
        const out = await this.#deliver(claim);
        span?.setAttribute("boxoffice.notification.outcome", out.result.ok ? "sent" : "failed");
        return out;
      },
    );
  }

  /** One attempt: payload, recipient, channel; never throws (every failure is an outcome). */
  async #deliver(claim: Claim): Promise<Attempt> {
    const { row } = claim;
    const fail = (detail: string, reason: Failure["reason"]): Failure => ({
      ok: false,
      permanent: true,
      connection: false,
      detail,
      reason,
    });
    const channel = this.#o.channels[row.channel as ChannelName];
    if (channel === undefined) return { result: fail(`no channel ${row.channel} in this sender`, "invalid") };
    let content: ReturnType<typeof parseContent>;
    try {
      content = parseContent(row.kind, JSON.parse(row.payload));
    } catch (e) {
      const detail = e instanceof InvalidPayloadError ? e.message : `unreadable payload: ${String(e)}`;
      return { result: fail(detail, "invalid") };
    }
    let recipient = row.recipient === "" ? undefined : { address: row.recipient, name: row.recipientName };
    if (recipient === undefined) {
      if (this.#o.resolveRecipient === undefined) return { result: fail("no recipient address", "no_recipient") };
      try {
        const found = await this.#o.resolveRecipient(row.userId);
        if (found === null) return { result: fail(`user ${row.userId} not found`, "no_recipient") };
        recipient = found;
      } catch (e) {
        // the directory is down: try again later, like a server that is down
        return { result: { ok: false, permanent: false, connection: false, detail: `recipient lookup: ${String(e)}` } };
      }
    }
    const result = await channel
      .deliver({ id: row.id, content, recipient, createTime: row.createTime, attempt: claim.attempt })
      .catch((e: unknown): DeliveryResult => ({ ok: false, permanent: false, connection: true, detail: String(e) }));
    return { result, recipient };
  }

  /** After failures to reach a server, the channel rests (growing, jittered); a success ends that. */
  #channelOutcome(channel: ChannelName, result: DeliveryResult): void {
    if (result.ok || !result.connection) {
      if (this.#down.delete(channel)) this.#o.logger.info({ channel }, "notification channel reachable again");
      return;
    }
    const d = this.#down.get(channel) ?? { failures: 0, until: 0, probing: false };
    d.failures++;
    d.probing = false;
    d.until = this.#o.clock.now() + backoffMs(d.failures, this.#o.pause, this.#o.random);
    this.#down.set(channel, d);
    this.#m.channelPaused.inc({ channel });
    this.#o.logger.warn(
      { channel, failures: d.failures, pauseMs: d.until - this.#o.clock.now(), detail: result.detail },
      "notification channel unreachable; pausing it",
    );
  }

  #sleep(ms: number): Promise<void> {
    if (!this.#running) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.#sleepers.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.#sleepers.add(done);
    });
  }
}
