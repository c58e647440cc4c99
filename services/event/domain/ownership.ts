import { EventState } from "../../../gen/boxoffice/event/v1/event_pb.js";
import { PermissionDeniedError } from "../../../platform/errors/index.js";
import { hasRole, type Principal, requireUser } from "../../../platform/principal/index.js";

/** A signed-in user as the event rules see them: whose things they own, and whether they are an admin. */
export interface Actor {
  id: string;
  admin: boolean;
}

/** The organiser (or admin) acting on a write; UNAUTHENTICATED for anyone else. */
export function actor(principal: Principal | undefined): Actor {
  const user = requireUser(principal);
  return { id: user.subject, admin: hasRole(user, "ADMIN") };
}

/** A reader of public data: a signed-in user, or nobody (anonymous). */
export function reader(principal: Principal | undefined): Actor | undefined {
  return principal?.kind === "user" ? { id: principal.subject, admin: hasRole(principal, "ADMIN") } : undefined;
}

/** Organisers act only on what they own; admins on everything (PERMISSION_DENIED, NOT_OWNER). */
export function assertOwner(who: Actor, ownerId: string, what: string): void {
  if (!who.admin && who.id !== ownerId)
    throw new PermissionDeniedError(`this ${what} belongs to another organiser`, "NOT_OWNER");
}

/** A DRAFT is visible to its organiser and to admins only. */
export function canSeeDrafts(who: Actor | undefined, organizerId: string): boolean {
  return who !== undefined && (who.admin || who.id === organizerId);
}

/**
 * Whether an event is private (its organiser's and admins' only): a DRAFT, and a draft cancelled
 * before it was ever published — cancelling must not expose what was never made public.
 */
export function isPrivate(state: EventState, everPublished: boolean): boolean {
  return state === EventState.DRAFT || (state === EventState.CANCELLED && !everPublished);
}
