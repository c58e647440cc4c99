import type { ConsumerSpec } from "../../../platform/app/index.js";
import type { NotificationDeps } from "../deps.js";
import { notifyOrderFailed } from "../use-cases/notify-order.js";
import { groups, OrderFailed } from "./consumed.js";

/** ticket's OrderFailed → the order did not go through. */
export const orderFailedConsumer = (d: NotificationDeps): ConsumerSpec<typeof OrderFailed.schema> => ({
  name: "notification.order_failed",
  type: OrderFailed,
  kind: "every-fact",
  sequenceGroup: groups.order,
  async handle(event, scope) {
    await notifyOrderFailed(d, scope.principal, event, { within: scope });
  },
});
