import { UserSchema } from "../../../gen/boxoffice/auth/v1/auth_pb.js";
import { GrantRoleRequestSchema } from "../../../gen/boxoffice/auth/v1/auth_service_pb.js";
import { command } from "../../../platform/commands/index.js";
import {
  type FieldViolation,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
} from "../../../platform/errors/index.js";
import { hasRole } from "../../../platform/principal/index.js";
import { addRole, findUserById } from "../db/repository.js";
import type { AuthDeps } from "../deps.js";
import { roleName } from "../domain/roles.js";
import { toUser } from "../mappers.js";

/** GrantRole (ADMIN only); granting a role the user holds changes nothing. */
export const grantRole = command({
  name: "auth.GrantRole",
  input: GrantRoleRequestSchema,
  output: UserSchema,
  requestId: (req) => req.requestId,
  prepare(_d: AuthDeps, principal, req) {
    const role = roleName(req.role);
    const violations: FieldViolation[] = [];
    if (req.userId === "") violations.push({ field: "user_id", description: "required", reason: "REQUIRED" });
    if (role === undefined)
      violations.push({ field: "role", description: "required: CUSTOMER, ORGANIZER or ADMIN", reason: "REQUIRED" });
    if (violations.length > 0) throw new InvalidArgumentError(violations);
    // The access declaration refuses other callers over RPC; this holds for every other caller too.
    if (!hasRole(principal, "ADMIN")) throw new PermissionDeniedError("only an ADMIN grants roles", "NOT_ADMIN");
    return role!;
  },
  async execute(_d: AuthDeps, w, req, role) {
    if ((await findUserById(w.tx, req.userId)) === undefined) throw new NotFoundError("user", req.userId);
    await addRole(w.tx, req.userId, role, new Date(w.now));
    return toUser((await findUserById(w.tx, req.userId))!);
  },
});
