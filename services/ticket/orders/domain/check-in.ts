/**
 * Who may check tickets in, and what a scan of a ticket in each state means (pure). The database
 * admits a ticket with one conditional UPDATE (VALID → CHECKED_IN), so two gates scanning the same
 * code at the same instant admit it once; these rules explain the scan that lost.
 */
import { PermissionDeniedError } from "../../../../platform/errors/index.js";
import { hasRole, type Principal } from "../../../../platform/principal/index.js";
import { AlreadyCheckedInError, TicketVoidError, UnknownCodeError } from "./errors.js";

export type TicketState = "VALID" | "CHECKED_IN" | "VOID";

/** The event's organiser or an admin; PERMISSION_DENIED for anyone else. */
export function assertDoorStaff(p: Principal | undefined, organizerId: string): void {
  if (hasRole(p, "ADMIN")) return;
  if (p?.kind === "user" && p.subject === organizerId && hasRole(p, "ORGANIZER")) return;
  throw new PermissionDeniedError("only the event's organiser or an admin checks its tickets in", "NOT_EVENT_STAFF");
}

/** Why a scan did not admit a ticket (the conditional update matched nothing). */
export function refusalOf(
  eventId: string,
  t: { readonly id: string; readonly state: TicketState; readonly checkInTime: Date | null } | undefined,
): Error {
  if (t === undefined) return new UnknownCodeError(eventId);
  if (t.state === "VOID") return new TicketVoidError(t.id);
  if (t.state === "CHECKED_IN") return new AlreadyCheckedInError(t.id, t.checkInTime ?? new Date(0));
  // VALID yet not admitted: the row changed between the update and this read; report it as a retry-able race
  return new Error(`ticket ${t.id} is VALID but was not admitted`);
}

/** Whether `p` may see the ticket's code: its holder and admins (an organiser sees it without). */
export function seesCode(p: Principal | undefined, holderId: string): boolean {
  return (p?.kind === "user" && p.subject === holderId) || hasRole(p, "ADMIN");
}
