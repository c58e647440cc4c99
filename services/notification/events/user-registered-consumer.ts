import type { ConsumerSpec } from "../../../platform/app/index.js";
import type { NotificationDeps } from "../deps.js";
import { notifyWelcome } from "../use-cases/notify-account.js";
import { groups, UserRegistered } from "./consumed.js";

/** auth's UserRegistered → the welcome email with the verification link. */
export const userRegisteredConsumer = (d: NotificationDeps): ConsumerSpec<typeof UserRegistered.schema> => ({
  name: "notification.user_registered",
  type: UserRegistered,
  kind: "every-fact",
  sequenceGroup: groups.user,
  async handle(event, scope) {
    await notifyWelcome(d, scope.principal, event, { within: scope });
  },
});
