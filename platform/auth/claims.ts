import type { JWTPayload } from "jose";
import type { Principal } from "../rpc/access.js";
import { ROLES, SERVICE_NAME_PATTERN, SERVICE_SUBJECT_PREFIX, TOKEN_USE } from "./tokens.js";

/** The claims are signed correctly but do not follow the token contract. */
export class TokenContractError extends Error {
  constructor(readonly claim: string) {
    super(`the token's "${claim}" claim does not follow the token contract`);
    this.name = "TokenContractError";
  }
}

const knownRoles: ReadonlySet<string> = new Set(ROLES);

/**
 * The caller a verified token speaks for (see tokens.ts for the contract). Signature, `iss`, `aud`
 * and times are checked by jose before this; here only the shape of the Boxoffice claims.
 * The result is frozen because the cache hands the same object to many requests.
 */
export function principalFromClaims(claims: JWTPayload): Principal {
  const { sub, jti } = claims;
  if (typeof sub !== "string" || sub === "") throw new TokenContractError("sub");
  if (typeof jti !== "string" || jti === "") throw new TokenContractError("jti");
  switch (claims.token_use) {
    case TOKEN_USE.access: {
      const roles = claims.roles;
      if (sub.startsWith(SERVICE_SUBJECT_PREFIX)) throw new TokenContractError("sub");
      if (!Array.isArray(roles) || !roles.every((r): r is string => typeof r === "string")) {
        throw new TokenContractError("roles");
      }
      // Unknown role names are dropped, not refused: auth may learn a role before every service
      // does, and a role no access rule names grants nothing anyway.
      const granted = Object.freeze(roles.filter((r) => knownRoles.has(r)));
      return Object.freeze({ kind: "user", subject: sub, roles: granted });
    }
    case TOKEN_USE.service: {
      const svc = claims.svc;
      if (typeof svc !== "string" || !SERVICE_NAME_PATTERN.test(svc)) throw new TokenContractError("svc");
      if (sub !== `${SERVICE_SUBJECT_PREFIX}${svc}`) throw new TokenContractError("sub");
      return Object.freeze({ kind: "service", service: svc });
    }
    default:
      // Refresh tokens are opaque and never JWTs; any other use is not ours to accept.
      throw new TokenContractError("token_use");
  }
}
