import type { ConsumerSpec } from "../../../platform/app/index.js";
import type { NotificationDeps } from "../deps.js";
import { notifyPasswordReset } from "../use-cases/notify-account.js";
import { groups, PasswordResetRequested } from "./consumed.js";

/** auth's PasswordResetRequested → the reset link. */
export const passwordResetRequestedConsumer = (
  d: NotificationDeps,
): ConsumerSpec<typeof PasswordResetRequested.schema> => ({
  name: "notification.password_reset_requested",
  type: PasswordResetRequested,
  kind: "every-fact",
  sequenceGroup: groups.user,
  async handle(event, scope) {
    await notifyPasswordReset(d, scope.principal, event, { within: scope });
  },
});
