import type { Principal } from "../principal/index.js";

/**
 * Per-RPC access declarations. Every RPC a process serves declares who may call it; the server
 * refuses to start when one is missing, so no RPC is ever reachable by accident.
 */
export type Access =
  /** Anyone, with or without a token (health, login, the public catalogue). */
  | { readonly kind: "public"; readonly tier?: Tier }
  /** A signed-in end user; when `roles` is non-empty, one of those roles. */
  | { readonly kind: "user"; readonly roles: readonly string[]; readonly tier?: Tier }
  /** Another Boxoffice service, by name; end-user tokens are refused. Always admitted as {@link AdmissionTier} "internal". */
  | { readonly kind: "internal"; readonly callers: readonly string[] };

/**
 * How much a public or user RPC matters when the process is overloaded (gRPC's "criticality", the
 * SRE book's tiers): as unary calls in progress rise, `sheddable` calls are refused first, then
 * `normal`, `critical` last. Declared beside the access rule; `normal` when not declared.
 * - `critical`: finishes work a buyer already started (Checkout turns a hold into money);
 * - `normal`: starts new work (HoldSeats, the default);
 * - `sheddable`: reads a client can retry or do without for a moment (GetEvent, GetAvailability).
 */
export type Tier = "critical" | "normal" | "sheddable";

/**
 * The tier admission uses: a declared {@link Tier}, or `internal` for every RPC only services may
 * call — it runs on behalf of a call some process already admitted, so it is refused last of all.
 */
export type AdmissionTier = Tier | "internal";

/** The admission tier of an RPC declared with `rule`. */
export function tierOf(rule: Access): AdmissionTier {
  return rule.kind === "internal" ? "internal" : (rule.tier ?? "normal");
}

/** Declares the tier of a public or user RPC beside its rule: `checkout: critical(access.user())`. */
export const critical = (rule: Access): Access => withTier(rule, "critical");
/** Declares a public or user RPC sheddable: `getEvent: sheddable(access.public())`. */
export const sheddable = (rule: Access): Access => withTier(rule, "sheddable");

function withTier(rule: Access, tier: Tier): Access {
  // internal RPCs are admitted on behalf of a call already admitted elsewhere: never below that
  if (rule.kind === "internal")
    throw new Error(`an internal RPC has no tier to declare (it is always admitted as internal, not ${tier})`);
  return { ...rule, tier };
}

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
