import type { EventPublished } from "../../../gen/boxoffice/event/v1/events_pb.js";
import type { WriteScope } from "../../../platform/commands/index.js";
import { inventoryState, type MaterialiseResult, materialiseInventory } from "../db/inventory.js";
import type { TicketDeps } from "../deps.js";

/**
 * EventPublished → the event's inventory: the published layout fetched from the event service
 * (GetEventLayout at the published layout version) and materialised in the consumer's transaction
 * (one row per reserved seat, GA stripes, prices, limits, the summary). Idempotent: an event that
 * already has an inventory — materialised, or cancelled first — is left as it is without fetching
 * anything, so a replayed stream costs one read per event.
 */
export async function openSales(
  d: TicketDeps,
  w: WriteScope,
  published: EventPublished,
  revision: number,
): Promise<MaterialiseResult["outcome"] | "exists"> {
  if ((await inventoryState(w.tx, published.eventId)) !== undefined) return "exists";
  const layout = await d.layouts.fetch(published.eventId, published.layoutVersion);
  const r = await materialiseInventory(w.tx, layout, {
    now: new Date(w.now),
    revision,
    gaStripes: d.settings.gaStripes,
  });
  if (r.outcome === "created") w.afterCommit(() => announce(d, published.eventId));
  return r.outcome;
}

/** After a change of an event's inventory: caches drop it, live maps read it again. */
export async function announce(d: TicketDeps, eventId: string): Promise<void> {
  await d.inventories.invalidate(eventId);
  await d.counts.invalidate(eventId);
  d.notifier.inventoryChanged(eventId);
}
