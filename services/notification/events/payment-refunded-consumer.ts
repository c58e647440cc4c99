import type { ConsumerSpec } from "../../../platform/app/index.js";
import type { NotificationDeps } from "../deps.js";
import { notifyRefund } from "../use-cases/notify-refund.js";
import { groups, PaymentRefunded } from "./consumed.js";

/** payment's PaymentRefunded → the refund email, unless the event's cancellation announced it. */
export const paymentRefundedConsumer = (d: NotificationDeps): ConsumerSpec<typeof PaymentRefunded.schema> => ({
  name: "notification.payment_refunded",
  type: PaymentRefunded,
  kind: "every-fact",
  sequenceGroup: groups.payment,
  async handle(event, scope) {
    await notifyRefund(d, scope.principal, event, { within: scope });
  },
});
