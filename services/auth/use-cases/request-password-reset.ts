import {
  type RequestPasswordResetRequest,
  RequestPasswordResetRequestSchema,
  type RequestPasswordResetResponse,
  RequestPasswordResetResponseSchema,
} from "../../../gen/boxoffice/auth/v1/auth_service_pb.js";
import { command } from "../../../platform/commands/index.js";
import type { Principal } from "../../../platform/principal/index.js";
import { changeUser, findUserByEmail, lockUser } from "../db/repository.js";
import type { AuthDeps } from "../deps.js";
import { checkedEmail } from "../domain/email.js";
import { passwordResetRequested } from "../events/published.js";
import { issueAccountToken } from "./account-token.js";

/**
 * RequestPasswordReset: for an account with this (canonical) email, a single-use reset token
 * (30 minutes, stored hashed) and PasswordResetRequested carrying it to notification; for any
 * other email, nothing. The answer is the same empty response either way (no enumeration), and a
 * repeat of the request id replays it without a second email.
 */
export const requestPasswordReset = command({
  name: "auth.RequestPasswordReset",
  input: RequestPasswordResetRequestSchema,
  output: RequestPasswordResetResponseSchema,
  requestId: (req) => req.requestId,
  prepare: (_d: AuthDeps, _principal, req) => checkedEmail(req.email),
  async execute(_d: AuthDeps, w, _req, email) {
    const found = await findUserByEmail(w.tx, email);
    const user = found === undefined ? undefined : await lockUser(w.tx, found.id);
    if (user === undefined) return {};
    const reset = await issueAccountToken(w, user.id, "password_reset");
    const revision = await changeUser(w.tx, user, {}, new Date(w.now));
    await w.emit(passwordResetRequested({ ...user, revision }, reset, new Date(w.now)));
    return {};
  },
});

/** RequestPasswordReset from the edge: throttled per email and per client address first. */
export async function requestPasswordResetFromClient(
  d: AuthDeps,
  principal: Principal | undefined,
  req: RequestPasswordResetRequest,
  clientAddress: string | undefined,
): Promise<RequestPasswordResetResponse> {
  await d.throttle.attempt("account-email", checkedEmail(req.email), clientAddress);
  return requestPasswordReset(d, principal, req);
}
