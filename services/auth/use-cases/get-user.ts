import type { User } from "../../../gen/boxoffice/auth/v1/auth_pb.js";
import { InvalidArgumentError, NotFoundError } from "../../../platform/errors/index.js";
import { type Principal, requireUser } from "../../../platform/principal/index.js";
import { findUserById } from "../db/repository.js";
import type { AuthDeps } from "../deps.js";
import { toUser } from "../mappers.js";

/** GetUser (internal: ticket, payment, notification look up an account). */
export async function getUser(
  d: Pick<AuthDeps, "db">,
  _principal: Principal | undefined,
  req: { userId: string },
): Promise<User> {
  if (req.userId === "")
    throw new InvalidArgumentError([{ field: "user_id", description: "required", reason: "REQUIRED" }]);
  const row = await findUserById(d.db.orm, req.userId);
  if (row === undefined) throw new NotFoundError("user", req.userId);
  return toUser(row);
}

/** GetMe: the signed-in user's own account. */
export function getMe(d: Pick<AuthDeps, "db">, principal: Principal | undefined): Promise<User> {
  return getUser(d, principal, { userId: requireUser(principal).subject });
}
