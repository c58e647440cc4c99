import type { ConsumerSpec } from "../../../platform/app/index.js";
import type { NotificationDeps } from "../deps.js";
import { notifyOrderRescheduled } from "../use-cases/notify-order.js";
import { groups, OrderRescheduled } from "./consumed.js";

/** ticket's OrderRescheduled → the event moved (one per confirmed order and move). */
export const orderRescheduledConsumer = (d: NotificationDeps): ConsumerSpec<typeof OrderRescheduled.schema> => ({
  name: "notification.order_rescheduled",
  type: OrderRescheduled,
  kind: "every-fact",
  sequenceGroup: groups.order,
  async handle(event, scope) {
    await notifyOrderRescheduled(d, scope.principal, event, { within: scope });
  },
});
