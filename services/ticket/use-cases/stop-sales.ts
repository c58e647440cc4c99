import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { EventCancelled } from "../../../gen/boxoffice/event/v1/events_pb.js";
import type { WriteScope } from "../../../platform/commands/index.js";
import { cancelSales } from "../db/inventory.js";
import type { TicketDeps } from "../deps.js";
import { announce } from "./open-sales.js";

/**
 * EventCancelled → sales stop at once and for good: every HoldSeats reads the inventory's status
 * with the buyer row inside its own transaction, so no hold is placed after this commits. Works
 * before the inventory exists (a late EventPublished then opens nothing). Holds and orders already
 * made are the order half's (it consumes EventCancelled too).
 */
export async function stopSales(d: TicketDeps, w: WriteScope, cancelled: EventCancelled): Promise<boolean> {
  const at = cancelled.cancelTime ? timestampDate(cancelled.cancelTime) : new Date(w.now);
  const changed = await cancelSales(w.tx, cancelled.eventId, at);
  // Announced even when unchanged: the order half's own EventCancelled consumer may have stopped
  // sales first (it must, before it cancels the orders), and it does not tell the availability
  // caches. cancelSales waited for that commit on the row lock, so this comes after it.
  w.afterCommit(() => announce(d, cancelled.eventId));
  return changed;
}
