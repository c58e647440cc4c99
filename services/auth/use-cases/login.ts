import type { TokenPair, User } from "../../../gen/boxoffice/auth/v1/auth_pb.js";
import { InvalidArgumentError, UnauthenticatedError } from "../../../platform/errors/index.js";
import type { Principal } from "../../../platform/principal/index.js";
import { findUserByEmail, insertRefreshToken } from "../db/repository.js";
import type { AuthDeps } from "../deps.js";
import { verifyPassword } from "../domain/credentials.js";
import { checkedEmail } from "../domain/email.js";
import { hashToken, newRefreshToken } from "../domain/refresh-token.js";
import { toUser } from "../mappers.js";
import { tokenPair } from "./token-pair.js";

/** What Login needs: the credentials, and the caller's address for throttling (from the transport). */
export interface LoginInput {
  email: string;
  password: string;
  clientAddress: string | undefined;
}

/**
 * Login: throttled per email and per client address; an unknown email and a wrong password give
 * the same error after the same work (one argon2 verification each). Opens a refresh family. No
 * request id: its answer is a secret the idempotency store must not keep, and a repeat is a new
 * session, which is harmless.
 */
export async function login(
  d: AuthDeps,
  principal: Principal | undefined,
  input: LoginInput,
): Promise<{ tokens: TokenPair; user: User }> {
  // Canonical (NFKC + case fold; invisible characters refused): every spelling of an address is
  // one account and one throttle bucket.
  const normal = checkedEmail(input.email);
  if (normal === "" || input.password === "") {
    throw new InvalidArgumentError([
      ...(normal === "" ? [{ field: "email", description: "required", reason: "REQUIRED" }] : []),
      ...(input.password === "" ? [{ field: "password", description: "required", reason: "REQUIRED" }] : []),
    ]);
  }
  await d.throttle.attempt("login", normal, input.clientAddress);
  const user = await findUserByEmail(d.db.orm, normal);
  const ok =
    user === undefined
      ? await d.dummyHash.verify(input.password)
      : await verifyPassword(user.passwordHash, input.password);
  if (!ok || user === undefined) throw new UnauthenticatedError("wrong email or password", "INVALID_CREDENTIALS");
  const token = newRefreshToken();
  const now = d.clock.now();
  const id = d.newId();
  const row = {
    id,
    familyId: id,
    userId: user.id,
    tokenHash: hashToken(token),
    createTime: new Date(now),
    expireTime: new Date(now + d.config.refreshTtlDays * 86_400_000),
  };
  await d.commands.transaction(principal, (w) => insertRefreshToken(w.tx, row));
  return { tokens: await tokenPair(d, user, { token, row }), user: toUser(user) };
}
