import { createContextKey, type HandlerContext } from "@connectrpc/connect";
import type { Logger } from "pino";
import type { Principal } from "./access.js";

/** The request id of the call: the caller's `x-request-id`, or a new one. Echoed in the response. */
export const requestIdKey = createContextKey<string>("", { description: "request id" });

/** The call's logger, bound to its request id and procedure, created on first use of `logger`. */
export interface CallLogger {
  readonly logger: Logger;
}

/** The call's logger (see {@link CallLogger}): most calls log nothing, so none is made up front. */
export const loggerKey = createContextKey<CallLogger | undefined>(undefined, { description: "call logger" });

/** Who is calling, once the authentication interceptor has verified a token; undefined for anonymous calls. */
export const principalKey = createContextKey<Principal | undefined>(undefined, { description: "principal" });

/**
 * The caller's network address: the first `x-forwarded-for` hop when present (the ingress sets
 * it), else the socket's peer. For throttling, never for authorisation.
 */
export const clientAddressKey = createContextKey<string | undefined>(undefined, { description: "client address" });

/**
 * The principal of a call, for the RPC layer to hand to a use-case: the verified user or service,
 * undefined for an anonymous call. Use-cases never read the HandlerContext themselves.
 */
export function principalOf(ctx: HandlerContext): Principal | undefined {
  return ctx.values.get(principalKey);
}

/** The caller's network address (see {@link clientAddressKey}), for throttling. */
export function clientAddressOf(ctx: HandlerContext): string | undefined {
  return ctx.values.get(clientAddressKey);
}
