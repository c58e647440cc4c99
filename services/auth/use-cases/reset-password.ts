import {
  type ResetPasswordRequest,
  ResetPasswordRequestSchema,
  type ResetPasswordResponse,
  ResetPasswordResponseSchema,
} from "../../../gen/boxoffice/auth/v1/auth_service_pb.js";
import { command } from "../../../platform/commands/index.js";
import { InvalidArgumentError } from "../../../platform/errors/index.js";
import type { Principal } from "../../../platform/principal/index.js";
import { spendUserTokens } from "../db/account-tokens.js";
import { changeUser, lockUser, revokeUserSessions } from "../db/repository.js";
import type { AuthDeps } from "../deps.js";
import { passwordViolations } from "../domain/credentials.js";
import { spendAccountToken } from "./account-token.js";

const renamed = (violations: ReturnType<typeof passwordViolations>) =>
  violations.map((v) => ({ ...v, field: "new_password" }));

/**
 * ResetPassword: spends the reset token (once; unknown, used or expired → FAILED_PRECONDITION
 * INVALID_RESET_TOKEN), sets the new password, spends the account's other reset tokens and signs
 * it out everywhere (every refresh family revoked; access tokens already issued live out their
 * 15 minutes). A password outside the policy leaves the token usable.
 */
export const resetPassword = command({
  name: "auth.ResetPassword",
  input: ResetPasswordRequestSchema,
  output: ResetPasswordResponseSchema,
  requestId: (req) => req.requestId,
  async prepare(d: AuthDeps, _principal, req) {
    // The policy needs the account's email for one rule, checked again once the token names it.
    const violations = renamed(passwordViolations(req.newPassword, ""));
    if (violations.length > 0) throw new InvalidArgumentError(violations);
    return d.hasher.hash(req.newPassword);
  },
  async execute(_d: AuthDeps, w, req, passwordHash) {
    const token = await spendAccountToken(w, req.resetToken, "password_reset");
    const user = (await lockUser(w.tx, token.userId))!;
    const violations = renamed(passwordViolations(req.newPassword, user.email));
    if (violations.length > 0) throw new InvalidArgumentError(violations);
    const at = new Date(w.now);
    await changeUser(w.tx, user, { passwordHash }, at);
    await spendUserTokens(w.tx, user.id, "password_reset", at);
    await revokeUserSessions(w.tx, user.id, at);
    return {};
  },
});

/** ResetPassword from the edge: attempts throttled per client address (tokens are not guessable, but tries cost). */
export async function resetPasswordFromClient(
  d: AuthDeps,
  principal: Principal | undefined,
  req: ResetPasswordRequest,
  clientAddress: string | undefined,
): Promise<ResetPasswordResponse> {
  await d.throttle.attempt("token-use", undefined, clientAddress);
  return resetPassword(d, principal, req);
}
