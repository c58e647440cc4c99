import type { ConsumerSpec } from "../../../platform/app/index.js";
import type { NotificationDeps } from "../deps.js";
import { notifyEmailVerification } from "../use-cases/notify-account.js";
import { EmailVerificationRequested, groups } from "./consumed.js";

/** auth's EmailVerificationRequested → a new verification link. */
export const emailVerificationRequestedConsumer = (
  d: NotificationDeps,
): ConsumerSpec<typeof EmailVerificationRequested.schema> => ({
  name: "notification.email_verification_requested",
  type: EmailVerificationRequested,
  kind: "every-fact",
  sequenceGroup: groups.user,
  async handle(event, scope) {
    await notifyEmailVerification(d, scope.principal, event, { within: scope });
  },
});
