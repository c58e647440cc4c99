import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { EventUpdated } from "../../../gen/boxoffice/event/v1/events_pb.js";
import type { WriteScope } from "../../../platform/commands/index.js";
import { inventoryState, updatePrices, updateSummary } from "../db/inventory.js";
import type { TicketDeps } from "../deps.js";
import { announce } from "./open-sales.js";

/**
 * EventUpdated → the inventory follows: the summary (name, start and end, carried by the event)
 * and, when price_tiers changed, the prices new holds pay (read with GetEventLayout; holds already
 * placed keep theirs). Both only from a revision newer than the one applied. An event without an
 * inventory yet is skipped: its EventPublished will fetch the layout as it is then.
 */
export async function applyEventUpdate(d: TicketDeps, w: WriteScope, updated: EventUpdated): Promise<boolean> {
  const state = await inventoryState(w.tx, updated.eventId);
  if (state === undefined || state.layoutVersion === 0) return false;
  const revision = Number(updated.revision);
  let changed = await updateSummary(w.tx, updated.eventId, revision, {
    name: updated.name,
    startTime: updated.startTime ? timestampDate(updated.startTime) : undefined,
    endTime: updated.endTime ? timestampDate(updated.endTime) : undefined,
  });
  if ((updated.changedFields?.paths ?? []).includes("price_tiers") && state.status === "ON_SALE") {
    const layout = await d.layouts.fetch(updated.eventId, 0n);
    const tiers = layout.priceTiers.flatMap((t) =>
      t.price === undefined
        ? []
        : [{ sectionId: t.sectionId, currencyCode: t.price.currencyCode, amountMinor: Number(t.price.amountMinor) }],
    );
    changed = (await updatePrices(w.tx, updated.eventId, revision, tiers)) || changed;
  }
  if (changed) w.afterCommit(() => announce(d, updated.eventId));
  return changed;
}
