import {
  type RequestEmailVerificationRequest,
  RequestEmailVerificationRequestSchema,
  type RequestEmailVerificationResponse,
  RequestEmailVerificationResponseSchema,
} from "../../../gen/boxoffice/auth/v1/auth_service_pb.js";
import { command } from "../../../platform/commands/index.js";
import { FailedPreconditionError, NotFoundError } from "../../../platform/errors/index.js";
import { type Principal, requireUser } from "../../../platform/principal/index.js";
import { spendUserTokens } from "../db/account-tokens.js";
import { changeUser, lockUser } from "../db/repository.js";
import type { AuthDeps } from "../deps.js";
import { emailVerificationRequested } from "../events/published.js";
import { issueAccountToken } from "./account-token.js";

/**
 * RequestEmailVerification: the signed-in user gets a new verification token (24 hours; earlier
 * ones stop working) through EmailVerificationRequested. FAILED_PRECONDITION
 * EMAIL_ALREADY_VERIFIED once confirmed.
 */
export const requestEmailVerification = command({
  name: "auth.RequestEmailVerification",
  input: RequestEmailVerificationRequestSchema,
  output: RequestEmailVerificationResponseSchema,
  requestId: (req) => req.requestId,
  prepare: (_d: AuthDeps, principal) => requireUser(principal).subject,
  async execute(_d: AuthDeps, w, _req, userId) {
    const user = await lockUser(w.tx, userId);
    if (user === undefined) throw new NotFoundError("user", userId);
    if (user.emailVerifyTime !== null)
      throw new FailedPreconditionError("EMAIL_ALREADY_VERIFIED", "this account's email address is already confirmed");
    const at = new Date(w.now);
    await spendUserTokens(w.tx, user.id, "email_verification", at);
    const verification = await issueAccountToken(w, user.id, "email_verification");
    const revision = await changeUser(w.tx, user, {}, at);
    await w.emit(emailVerificationRequested({ ...user, revision }, verification));
    return {};
  },
});

/** RequestEmailVerification from the edge: throttled per account and per client address first. */
export async function requestEmailVerificationFromClient(
  d: AuthDeps,
  principal: Principal | undefined,
  req: RequestEmailVerificationRequest,
  clientAddress: string | undefined,
): Promise<RequestEmailVerificationResponse> {
  await d.throttle.attempt("account-email", `user:${requireUser(principal).subject}`, clientAddress);
  return requestEmailVerification(d, principal, req);
}
