import type { DescMethod } from "@bufbuild/protobuf";
import type { Interceptor } from "@connectrpc/connect";
import { type Access, denialReason, type Principal } from "../access.js";
import { principalKey } from "../context.js";
import { PermissionDeniedError, UnauthenticatedError } from "../errors.js";
import { procedureOf } from "../service.js";

/**
 * Verifies the credentials of a call. Returns the principal, undefined for a call without
 * credentials, and throws UnauthenticatedError for credentials that are present but invalid.
 */
export type Authenticator = (header: Headers) => Promise<Principal | undefined>;

/**
 * Establishes who is calling. Without an authenticator (token verification is not configured in
 * this process) every call is anonymous, so only public RPCs can succeed.
 */
export function authenticationInterceptor(authenticate: Authenticator | undefined): Interceptor {
  return (next) => async (req) => {
    if (authenticate !== undefined) {
      const principal = await authenticate(req.header);
      if (principal !== undefined) req.contextValues.set(principalKey, principal);
    }
    return next(req);
  };
}

/**
 * Enforces each RPC's access declaration against the principal. Not an async function: a refusal
 * throws at once (the error-mapping interceptor outside takes synchronous throws too), and an
 * allowed call costs no promise of its own.
 */
export function accessInterceptor(table: ReadonlyMap<string, Access>): Interceptor {
  // By descriptor: building the "/pkg.Service/Method" key costs a string per call.
  const byMethod = new WeakMap<DescMethod, Access | undefined>();
  return (next) => (req) => {
    let rule = byMethod.get(req.method);
    if (rule === undefined) byMethod.set(req.method, (rule = table.get(procedureOf(req.method))));
    // Unreachable for registered services (the table is checked at start-up); deny if it happens.
    if (rule === undefined) throw new PermissionDeniedError("no access declaration for this RPC");
    const denied = denialReason(rule, req.contextValues.get(principalKey));
    if (denied === "unauthenticated") throw new UnauthenticatedError();
    if (denied !== undefined) throw new PermissionDeniedError(denied);
    return next(req);
  };
}
