import { type User, UserSchema } from "../../../gen/boxoffice/auth/v1/auth_pb.js";
import { type VerifyEmailRequest, VerifyEmailRequestSchema } from "../../../gen/boxoffice/auth/v1/auth_service_pb.js";
import { command } from "../../../platform/commands/index.js";
import type { Principal } from "../../../platform/principal/index.js";
import { changeUser, findUserById, lockUser } from "../db/repository.js";
import type { AuthDeps } from "../deps.js";
import { toUser } from "../mappers.js";
import { spendAccountToken } from "./account-token.js";

/**
 * VerifyEmail: spends the verification token (once; unknown, used or expired → FAILED_PRECONDITION
 * INVALID_VERIFICATION_TOKEN) and marks the account's address confirmed. Callable without a
 * token: the emailed token is the proof.
 */
export const verifyEmail = command({
  name: "auth.VerifyEmail",
  input: VerifyEmailRequestSchema,
  output: UserSchema,
  requestId: (req) => req.requestId,
  async execute(_d: AuthDeps, w, req) {
    const token = await spendAccountToken(w, req.verificationToken, "email_verification");
    const user = (await lockUser(w.tx, token.userId))!;
    if (user.emailVerifyTime === null)
      await changeUser(w.tx, user, { emailVerifyTime: new Date(w.now) }, new Date(w.now));
    return toUser((await findUserById(w.tx, user.id))!);
  },
});

/** VerifyEmail from the edge: attempts throttled per client address first. */
export async function verifyEmailFromClient(
  d: AuthDeps,
  principal: Principal | undefined,
  req: VerifyEmailRequest,
  clientAddress: string | undefined,
): Promise<User> {
  await d.throttle.attempt("token-use", undefined, clientAddress);
  return verifyEmail(d, principal, req);
}
