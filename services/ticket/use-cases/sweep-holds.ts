import { servicePrincipal } from "../../../platform/principal/index.js";
import { freedGaSections, returnFreedGa } from "../db/ga.js";
import { dueHoldRefs, expireHolds } from "../db/lifecycle.js";
import type { TicketDeps } from "../deps.js";

const BATCH = 500;

/**
 * The hold sweeper (a periodic job): ACTIVE holds past their expire_time become EXPIRED (one
 * compare-and-set per batch: a hold released or converted meanwhile is left alone, and two
 * sweepers expire each hold once), their changes are announced, and GA places freed by expired or
 * released holds go back on their stripes. Sales never wait for it: a claim already treats an
 * expired hold's places as free. Returns how many holds it expired.
 */
export async function sweepHolds(d: TicketDeps, signal: AbortSignal): Promise<number> {
  const principal = servicePrincipal("ticket");
  let expired = 0;
  while (!signal.aborted) {
    const now = d.clock.date();
    const due = await dueHoldRefs(d.db.orm, now, BATCH);
    if (due.length === 0) break;
    expired += await d.commands.transaction(principal, async (w) => {
      const n = await expireHolds(
        w.tx,
        due.map((h) => h.id),
        now,
      );
      w.afterCommit(() => {
        const byEvent = new Map<string, string[]>();
        for (const h of due) byEvent.set(h.eventId, [...(byEvent.get(h.eventId) ?? []), h.id]);
        for (const [eventId, ids] of byEvent) d.notifier.changed(eventId, ids);
      });
      return n;
    });
    if (due.length < BATCH) break;
  }
  // Freed GA places count as available already; putting them back on a stripe changes no count.
  for (const s of await freedGaSections(d.db.orm, d.clock.date())) {
    if (signal.aborted) break;
    await d.commands.transaction(principal, (w) => returnFreedGa(w.tx, s.invId, s.sectionNo, d.clock.date()));
  }
  return expired;
}
