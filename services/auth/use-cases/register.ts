import { type User, UserSchema } from "../../../gen/boxoffice/auth/v1/auth_pb.js";
import { type RegisterRequest, RegisterRequestSchema } from "../../../gen/boxoffice/auth/v1/auth_service_pb.js";
import { command } from "../../../platform/commands/index.js";
import { isDuplicateKey } from "../../../platform/db/index.js";
import { AlreadyExistsError, InvalidArgumentError } from "../../../platform/errors/index.js";
import type { Principal } from "../../../platform/principal/index.js";
import { findUserById, insertUser } from "../db/repository.js";
import type { AuthDeps } from "../deps.js";
import { displayNameViolations, emailViolations, passwordViolations } from "../domain/credentials.js";
import { checkedEmail } from "../domain/email.js";
import { userRegistered } from "../events/published.js";
import { toUser } from "../mappers.js";
import { issueAccountToken } from "./account-token.js";

/**
 * Register: a new CUSTOMER under the canonical email, UserRegistered (with the verification
 * token of its welcome email) in the same transaction; email unique (ALREADY_EXISTS). The password
 * is hashed before the transaction, through the bounded hashing queue.
 */
export const register = command({
  name: "auth.Register",
  input: RegisterRequestSchema,
  output: UserSchema,
  requestId: (req) => req.requestId,
  async prepare(d: AuthDeps, _principal, req) {
    const email = checkedEmail(req.email);
    const violations = [
      ...emailViolations(email),
      ...displayNameViolations(req.displayName),
      ...passwordViolations(req.password, email),
    ];
    if (violations.length > 0) throw new InvalidArgumentError(violations);
    // 40-60 ms of a libuv thread, before the transaction: it must not hold row locks or a connection.
    return { email, displayName: req.displayName.trim(), passwordHash: await d.hasher.hash(req.password) };
  },
  async execute(d: AuthDeps, w, _req, account) {
    const id = d.newId();
    const at = new Date(w.now);
    try {
      await insertUser(w.tx, { id, ...account, at, roles: ["CUSTOMER"] });
    } catch (e) {
      if (isDuplicateKey(e))
        throw new AlreadyExistsError("EMAIL_TAKEN", "an account with this email already exists", { field: "email" });
      throw e;
    }
    const verification = await issueAccountToken(w, id, "email_verification");
    await w.emit(userRegistered({ id, ...account, revision: 1 }, verification, at));
    return toUser((await findUserById(w.tx, id))!);
  },
});

/**
 * Register from the edge (the RPC): throttled per client address and per email before anything is
 * hashed, then the command. Other callers (a consumer, the CLI) call {@link register} itself.
 */
export async function registerFromClient(
  d: AuthDeps,
  principal: Principal | undefined,
  req: RegisterRequest,
  clientAddress: string | undefined,
): Promise<User> {
  await d.throttle.attempt("register", checkedEmail(req.email), clientAddress);
  return register(d, principal, req);
}
