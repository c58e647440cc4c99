import { InvalidArgumentError, NotFoundError } from "../../../platform/errors/index.js";
import type { Inventory, SectionInfo } from "../db/inventory.js";
import type { TicketDeps } from "../deps.js";

/** The event's inventory (cached), or NOT_FOUND: unknown, not published yet, or cancelled before it was. */
export async function inventoryOf(d: TicketDeps, eventId: string): Promise<Inventory> {
  const inv = await d.inventories.get(eventId);
  if (inv === undefined) throw new NotFoundError("event", eventId);
  return inv;
}

/** The section a read is narrowed to (empty: all), or INVALID_ARGUMENT for one the event does not have. */
export function sectionOf(inv: Inventory, sectionId: string): SectionInfo | undefined {
  if (sectionId === "") return undefined;
  const s = inv.sections.find((x) => x.sectionId === sectionId);
  if (s === undefined)
    throw new InvalidArgumentError([
      { field: "section_id", description: "not a section of this event", reason: "UNKNOWN_SECTION" },
    ]);
  return s;
}
