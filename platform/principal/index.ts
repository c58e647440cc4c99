import { PermissionDeniedError, UnauthenticatedError } from "../errors/index.js";

/**
 * Who is asking, whatever the transport: an end user with roles (from a verified access token), or
 * another Boxoffice service (from a service token, or the service itself when a consumer, a
 * sweeper or the CLI acts on its own). An anonymous call has no principal (`undefined`).
 */
export type Principal = UserPrincipal | ServicePrincipal;

/** A signed-in end user. */
export interface UserPrincipal {
  readonly kind: "user";
  /** The user id (the token's `sub`). */
  readonly subject: string;
  readonly roles: readonly string[];
}

/** A Boxoffice service, by its one name (`ticket`, `payment`, …). */
export interface ServicePrincipal {
  readonly kind: "service";
  readonly service: string;
}

/** The principal of a service acting on its own (a consumer, a sweeper, the CLI). */
export function servicePrincipal(service: string): ServicePrincipal {
  return { kind: "service", service };
}

/** A user principal (tests and tools that act for a known user). */
export function userPrincipal(subject: string, roles: readonly string[] = []): UserPrincipal {
  return { kind: "user", subject, roles };
}

/**
 * The stable name of a principal in records that outlive the call (the idempotency scope):
 * `user:<id>`, `service:<name>`, or `anonymous`.
 */
export function principalKey(p: Principal | undefined): string {
  if (p === undefined) return "anonymous";
  return p.kind === "user" ? `user:${p.subject}` : `service:${p.service}`;
}

/** The signed-in user, or UNAUTHENTICATED (the access declaration normally refused the call already). */
export function requireUser(p: Principal | undefined): UserPrincipal {
  if (p?.kind !== "user") throw new UnauthenticatedError();
  return p;
}

/** The calling service, or PERMISSION_DENIED for anything else. */
export function requireService(p: Principal | undefined): ServicePrincipal {
  if (p?.kind !== "service") throw new PermissionDeniedError("only a Boxoffice service may do this", "NOT_A_SERVICE");
  return p;
}

/** True for a user holding `role`. */
export function hasRole(p: Principal | undefined, role: string): boolean {
  return p?.kind === "user" && p.roles.includes(role);
}
