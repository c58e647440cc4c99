import { and, eq } from "drizzle-orm";
import type { Clock } from "../clock/index.js";
import { type Db, isDuplicateKey, type Tx, withTransaction } from "../db/index.js";
import { inboxAggregates, inboxEvents } from "../db/platform-schema.js";
import type { EventEnvelope } from "./events.js";

export type InboxOutcome = "applied" | "duplicate" | "stale";

/**
 * Applies one event at most once for `consumer`, in ONE transaction with the effect:
 *
 * 1. insert `inbox_events(consumer, event_id)`; a duplicate key means already processed → nothing;
 * 2. lock `inbox_aggregates(consumer, aggregate)`; a stored version ≥ the event's means the event
 *    is stale → the inbox row stays (so it is not looked at again), the effect is skipped;
 * 3. otherwise store the event's version and run `effect(tx)`.
 *
 * A failing effect rolls everything back (the event is not marked processed). Deadlocks and
 * lock-wait timeouts retry the whole transaction (withTransaction). Events without an aggregate
 * (empty type or id) are only deduplicated by id.
 */
export function applyOnce(
  db: Db,
  clock: Clock,
  consumer: string,
  env: EventEnvelope,
  effect: (tx: Tx) => Promise<void>,
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
      const key = and(
        eq(inboxAggregates.consumer, consumer),
        eq(inboxAggregates.aggregateType, env.aggregateType),
        eq(inboxAggregates.aggregateId, env.aggregateId),
      );
      // READ COMMITTED has no gap locks: two first events of one aggregate may both find no row;
      // the second insert waits for the first and fails with a duplicate key, then reads it locked.
      for (let attempt = 0; ; attempt++) {
        const [row] = await tx
          .select({ version: inboxAggregates.version })
          .from(inboxAggregates)
          .where(key)
          .for("update");
        if (row !== undefined) {
          if (row.version >= version) return "stale";
          await tx.update(inboxAggregates).set({ version, updateTime: now }).where(key);
          break;
        }
        try {
          await tx.insert(inboxAggregates).values({
            consumer,
            aggregateType: env.aggregateType,
            aggregateId: env.aggregateId,
            version,
            updateTime: now,
          });
          break;
        } catch (e) {
          if (!isDuplicateKey(e) || attempt > 0) throw e;
        }
      }
    }
    await effect(tx);
    return "applied";
  });
}
