import type { Principal } from "../principal/index.js";

/**
 * Per-RPC access declarations. Every RPC a process serves declares who may call it; the server
 * refuses to start when one is missing, so no RPC is ever reachable by accident.
 */
export type Access =
  /** Anyone, with or without a token (health, login, the public catalogue). */
  | { readonly kind: "public" }
  /** A signed-in end user; when `roles` is non-empty, one of those roles. */
  | { readonly kind: "user"; readonly roles: readonly string[] }
  /** Another Boxoffice service, by name; end-user tokens are refused. */
  | { readonly kind: "internal"; readonly callers: readonly string[] };

/** Who is calling, as established by a verified token (defined transport-neutrally in platform/principal). */
export type { Principal } from "../principal/index.js";

/** Builders for {@link Access} values. */
export const access = {
  public: (): Access => ({ kind: "public" }),
  /** Any signed-in user (no role needed). */
  user: (): Access => ({ kind: "user", roles: [] }),
  /** A signed-in user holding at least one of `roles`. */
  roles: (...roles: [string, ...string[]]): Access => ({ kind: "user", roles }),
  /** Only the named services. */
  internal: (...callers: [string, ...string[]]): Access => ({ kind: "internal", callers }),
} as const;

/** Why `principal` may not call an RPC declared with `rule`, or undefined when it may. */
export function denialReason(rule: Access, principal: Principal | undefined): "unauthenticated" | string | undefined {
  switch (rule.kind) {
    case "public":
      return undefined;
    case "user":
      if (principal === undefined) return "unauthenticated";
      if (principal.kind !== "user") return "this RPC is for end users, not services";
      if (rule.roles.length > 0 && !rule.roles.some((r) => principal.roles.includes(r))) {
        return `this RPC requires one of the roles ${rule.roles.join(", ")}`;
      }
      return undefined;
    case "internal":
      if (principal === undefined) return "unauthenticated";
      if (principal.kind !== "service") return "this RPC is internal: only services may call it";
      if (!rule.callers.includes(principal.service)) {
        return `service ${principal.service} is not allowed to call this RPC`;
      }
      return undefined;
  }
}
