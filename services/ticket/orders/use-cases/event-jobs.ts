/**
 * Work over every order of an event, from the event service's facts (the consumers record a job
 * row; this runs it in batches, resumable after a crash because progress is in the orders):
 *
 * - CANCEL (EventCancelled): each PENDING_PAYMENT or CONFIRMED order → CANCELLED with reason
 *   EVENT_CANCELLED, its tickets VOID, a refund owed when it was paid, one OrderCancelled with
 *   event_cancelled = true. A checkout that saw sales open committed before the job's row existed
 *   (the shared lock on the inventory row), so the job finds its order.
 * - RESCHEDULE (EventUpdated changed start_time): each CONFIRMED order not told about this
 *   revision gets one OrderRescheduled when the start it was last told differs, then records the
 *   revision (an older revision arriving late finds nothing to do).
 */

import { servicePrincipal } from "../../../../platform/principal/index.js";
import { confirmedBefore, markRescheduled, openOrdersOfEvent, orderView, updateOrder } from "../db/orders.js";
import { type EventJobRow, jobProgress, runningJobs } from "../db/work.js";
import type { OrdersDeps } from "../deps.js";
import { EVENT_CANCELLED } from "../domain/order.js";
import { orderRescheduled } from "../events/published.js";
import { toEventSummary } from "../mappers.js";
import { cancelOrderIn, currentSummary } from "./order-changes.js";

const self = servicePrincipal("ticket");

/**
 * Runs the RUNNING jobs, batch after batch, to their end — or until `signal` aborts or `maxBatches`
 * transactions ran (a bounded run; the next one goes on from the orders' state). Returns the
 * orders processed.
 */
export async function runEventJobs(
  d: OrdersDeps,
  o: { signal?: AbortSignal; maxBatches?: number } = {},
): Promise<number> {
  let total = 0;
  let batches = 0;
  for (const job of await runningJobs(d.db.orm)) {
    for (;;) {
      if (o.signal?.aborted || batches++ >= (o.maxBatches ?? Number.POSITIVE_INFINITY)) return total;
      const n = job.kind === "CANCEL" ? await cancelBatch(d, job) : await rescheduleBatch(d, job);
      total += n;
      if (n < d.settings.eventJobBatch) break;
    }
  }
  return total;
}

async function cancelBatch(d: OrdersDeps, job: EventJobRow): Promise<number> {
  return d.commands.transaction(self, async (w) => {
    const batch = await openOrdersOfEvent(w.tx, job.eventId, d.settings.eventJobBatch);
    const { summary } = await currentSummary(d, w, job.eventId);
    for (const row of batch) await cancelOrderIn(d, w, row, { reason: EVENT_CANCELLED, eventCancelled: true, summary });
    await jobProgress(w.tx, job, batch.length, batch.length < d.settings.eventJobBatch ? new Date(w.now) : undefined);
    return batch.length;
  });
}

async function rescheduleBatch(d: OrdersDeps, job: EventJobRow): Promise<number> {
  return d.commands.transaction(self, async (w) => {
    const batch = await confirmedBefore(w.tx, job.eventId, job.revision, d.settings.eventJobBatch);
    const { summary } = await currentSummary(d, w, job.eventId);
    const moved = {
      ...summary,
      name: job.name || summary.name,
      startTime: job.startTime ?? undefined,
      endTime: job.endTime ?? summary.endTime,
    };
    const newStart = job.startTime?.getTime() ?? null;
    for (const row of batch) {
      const told = row.eventStartTime?.getTime() ?? null;
      if (told === newStart) {
        await updateOrder(w.tx, row.id, { eventRevision: job.revision });
        continue;
      }
      await markRescheduled(w.tx, row.id, job.revision, job.startTime);
      const view = (await orderView(w.tx, row.id))!;
      await w.emit(orderRescheduled(view, toEventSummary(job.eventId, moved), row.eventStartTime, job.revision));
    }
    await jobProgress(w.tx, job, batch.length, batch.length < d.settings.eventJobBatch ? new Date(w.now) : undefined);
    return batch.length;
  });
}
