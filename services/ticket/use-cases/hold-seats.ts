import { HoldSchema } from "../../../gen/boxoffice/ticket/v1/hold_pb.js";
import { HoldSeatsRequestSchema } from "../../../gen/boxoffice/ticket/v1/ticket_service_pb.js";
import { command } from "../../../platform/commands/index.js";
import { requireUser } from "../../../platform/principal/index.js";
import { placeHold } from "../db/holds.js";
import type { TicketDeps } from "../deps.js";
import { normaliseItems } from "../domain/items.js";
import { toHold, toHoldItemInputs } from "../mappers.js";
import { inventoryOf } from "./inventory-of.js";

/**
 * HoldSeats: all or nothing, for the caller, until now + BOXOFFICE_TICKET_HOLD_TTL_SECONDS; a new
 * hold releases the caller's previous one for the event. The items are checked against the event's
 * sections before any transaction (unknown sections, wrong kinds, duplicates, the per-order limit);
 * inside it, the sales state and the per-buyer cap are read with the buyer row, then every place is
 * claimed (db/holds.ts, docs/ticket.md). No integration event: places that change are announced to
 * watchers and caches through the availability feed after the commit.
 */
export const holdSeats = command({
  name: "ticket.HoldSeats",
  input: HoldSeatsRequestSchema,
  output: HoldSchema,
  requestId: (req) => req.requestId,
  // The change's first statement (hold_begin) locks the buyer row, which every copy of this request
  // locks too: a concurrent copy waits there, so the record can be written once, at the end.
  recordAtEnd: true,
  async prepare(d: TicketDeps, principal, req) {
    const user = requireUser(principal);
    const inventory = await inventoryOf(d, req.eventId);
    const items = normaliseItems(toHoldItemInputs(req.items), inventory.sections, inventory.sales.maxPerOrder);
    return { user, inventory, items };
  },
  async execute(d: TicketDeps, w, _req, { user, inventory, items }) {
    const now = new Date(w.now);
    const holdId = d.newId();
    const placed = await placeHold(w.tx, {
      inventory,
      holdId,
      buyerId: user.subject,
      now,
      expireTime: new Date(w.now + d.settings.holdTtlSeconds * 1000),
      items,
      stripeHint: Math.floor(Math.random() * 0x7fffffff),
    });
    w.afterCommit(() => d.notifier.changed(inventory.sales.eventId, [holdId, placed.replaced?.holdId]));
    return toHold(placed.hold);
  },
});
