import { and, eq, lt, sql } from "drizzle-orm";
import type { Clock } from "../clock/index.js";
import { type Db, isDuplicateKey, type Tx, withTransaction } from "../db/index.js";
import { consumerFailures, inboxAggregates, inboxEvents } from "../db/platform-schema.js";
import { WaitingForEarlierEvent } from "./consumer-errors.js";
import type { EventEnvelope } from "./events.js";

/**
 * What a consumer promises about the events of one aggregate:
 * - `latest-state`: each event is a snapshot; an event older (by aggregate version) than one
 *   already applied is skipped for good (a newer snapshot said more).
 * - `every-fact`: each event is a fact that must take effect (payment succeeded, then refunded);
 *   events apply in their aggregate sequence, a later one waits for the earlier ones, and a
 *   dead-letter replay of an earlier one still applies.
 */
export type ConsumerKind = "latest-state" | "every-fact";

export type InboxOutcome = "applied" | "duplicate" | "stale";

/**
 * Applies one event at most once for `consumer`, in ONE transaction with the effect:
 *
 * 1. insert `inbox_events(consumer, event_id)`; a duplicate key means already processed → nothing;
 * 2. lock `inbox_aggregates(group, aggregate)` (`group`: the consumer's sequence group, by default
 *    its own name) and decide by the consumer's kind:
 *    - latest-state: a stored version ≥ the event's → stale (the inbox row stays, the effect is
 *      skipped); else store the version;
 *    - every-fact: the event's sequence is the next one → store it; a later one → throw
 *      {@link WaitingForEarlierEvent} (nothing commits; the consumer asks again shortly); an
 *      earlier one (its predecessor was dead-lettered and skipped, or the stream is replayed) →
 *      applied only when `replay` says it is a dead-letter replay, else stale;
 * 3. run `effect(tx)`, and forget earlier failed attempts of this event.
 *
 * A failing effect rolls everything back (the event is not marked processed). Deadlocks and
 * lock-wait timeouts retry the whole transaction (withTransaction). Events without an aggregate, or
 * (every-fact) without a sequence, are only deduplicated by id.
 */
export function applyOnce(
  db: Db,
  clock: Clock,
  consumer: string,
  kind: ConsumerKind,
  env: EventEnvelope,
  effect: (tx: Tx) => Promise<void>,
  opts: { replay?: boolean; hadFailures?: boolean; group?: string } = {},
): Promise<InboxOutcome> {
  return withTransaction(db, async (tx): Promise<InboxOutcome> => {
    const now = clock.date();
    try {
      await tx.insert(inboxEvents).values({ consumer, eventId: env.eventId, processTime: now });
    } catch (e) {
      // A concurrent copy of the same event blocks on this row until it commits, then lands here.
      if (isDuplicateKey(e)) return "duplicate";
      throw e;
    }
    if (env.aggregateType !== "" && env.aggregateId !== "") {
      const version = Number(env.aggregateVersion);
      const sequence = Number(env.aggregateSequence);
      // When the aggregate is new here and the event applies to a new row (most events on the
      // purchase path: an order's, a payment's first), the row is created holding what the event
      // sets, saving the update — one round trip per event.
      const appliesToNew = kind === "latest-state" ? version > 0 : sequence === 1;
      const first = appliesToNew
        ? {
            version: kind === "latest-state" ? version : Math.max(version, 0),
            sequence: kind === "latest-state" ? 0 : 1,
          }
        : { version: 0, sequence: 0 };
      const row = await lockAggregate(tx, opts.group ?? consumer, env, now, first);
      if (row.created && appliesToNew) {
        // applied: the new row says so
      } else if (kind === "latest-state") {
        if (row.version >= version) return "stale";
        await tx.update(inboxAggregates).set({ version, updateTime: now }).where(row.key);
      } else {
        if (sequence > 0) {
          if (sequence > row.sequence + 1) {
            throw new WaitingForEarlierEvent(`${env.aggregateType}/${env.aggregateId}`, sequence, row.sequence);
          }
          if (sequence === row.sequence + 1) {
            await tx
              .update(inboxAggregates)
              .set({ sequence, version: Math.max(row.version, version), updateTime: now })
              .where(row.key);
          } else if (!opts.replay) return "stale";
        }
      }
    }
    await effect(tx);
    if (opts.hadFailures) {
      await tx
        .delete(consumerFailures)
        .where(and(eq(consumerFailures.consumer, consumer), eq(consumerFailures.eventId, env.eventId)));
    }
    return "applied";
  });
}

/**
 * The group's row for the event's aggregate, locked for the transaction; created with `first` when
 * new (`created`: the row holds `first`, not an earlier state).
 */
async function lockAggregate(
  tx: Tx,
  consumer: string,
  env: EventEnvelope,
  now: Date,
  first: { version: number; sequence: number } = { version: 0, sequence: 0 },
) {
  const key = and(
    eq(inboxAggregates.consumer, consumer),
    eq(inboxAggregates.aggregateType, env.aggregateType),
    eq(inboxAggregates.aggregateId, env.aggregateId),
  );
  // READ COMMITTED has no gap locks: two first events of one aggregate may both find no row;
  // the second insert waits for the first and fails with a duplicate key, then reads it locked.
  for (let attempt = 0; ; attempt++) {
    const [row] = await tx
      .select({ version: inboxAggregates.version, sequence: inboxAggregates.sequence })
      .from(inboxAggregates)
      .where(key)
      .for("update");
    if (row !== undefined) return { key, version: Number(row.version), sequence: Number(row.sequence), created: false };
    try {
      await tx.insert(inboxAggregates).values({
        consumer,
        aggregateType: env.aggregateType,
        aggregateId: env.aggregateId,
        version: first.version,
        sequence: first.sequence,
        updateTime: now,
      });
      return { key, ...first, created: true };
    } catch (e) {
      if (!isDuplicateKey(e) || attempt > 0) throw e;
    }
  }
}

/**
 * Counts one failed attempt of the handler on `eventId` (in its own transaction, after the effect's
 * rolled back) and returns the attempts so far.
 */
export async function recordFailure(
  db: Db,
  clock: Clock,
  consumer: string,
  eventId: string,
  error: string,
): Promise<number> {
  const now = clock.date();
  const lastError = error.slice(0, 1000);
  await db.orm
    .insert(consumerFailures)
    .values({ consumer, eventId, attempts: 1, lastError, updateTime: now })
    .onDuplicateKeyUpdate({ set: { attempts: sql`${consumerFailures.attempts} + 1`, lastError, updateTime: now } });
  return failedAttempts(db, consumer, eventId);
}

/** Failed handler attempts recorded for `eventId` (0 when none). */
export async function failedAttempts(db: Db, consumer: string, eventId: string): Promise<number> {
  const [row] = await db.orm
    .select({ attempts: consumerFailures.attempts })
    .from(consumerFailures)
    .where(and(eq(consumerFailures.consumer, consumer), eq(consumerFailures.eventId, eventId)));
  return row?.attempts ?? 0;
}

/**
 * After an every-fact event was dead-lettered, lets its aggregate's later events go on: the
 * sequence moves past it (only if it was the next one; anything else is already past it). The
 * inbox has no row for it, so a replay from the dead-letter stream still applies it.
 */
export async function skipDeadLettered(db: Db, clock: Clock, group: string, env: EventEnvelope): Promise<void> {
  const sequence = Number(env.aggregateSequence);
  if (env.aggregateType === "" || env.aggregateId === "" || sequence === 0) return;
  await withTransaction(db, async (tx) => {
    const row = await lockAggregate(tx, group, env, clock.date());
    if (row.sequence + 1 === sequence)
      await tx.update(inboxAggregates).set({ sequence, updateTime: clock.date() }).where(row.key);
  });
}

/**
 * Deletes `consumer`'s inbox rows (and stale failure counts) older than `before`, in batches of
 * `batch`; returns how many went. The inbox must outlive every redelivery and the stream's own
 * retention, so a replay of the stream still finds what was applied.
 */
export async function pruneInbox(db: Db, consumer: string, before: Date, batch = 5000): Promise<number> {
  let total = 0;
  for (;;) {
    const [res] = await db.pool.query("DELETE FROM inbox_events WHERE consumer = ? AND process_time < ? LIMIT ?", [
      consumer,
      before,
      batch,
    ]);
    const n = (res as { affectedRows: number }).affectedRows;
    total += n;
    if (n < batch) break;
  }
  await db.orm
    .delete(consumerFailures)
    .where(and(eq(consumerFailures.consumer, consumer), lt(consumerFailures.updateTime, before)));
  return total;
}
