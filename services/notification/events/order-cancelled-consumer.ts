import type { ConsumerSpec } from "../../../platform/app/index.js";
import type { NotificationDeps } from "../deps.js";
import { notifyOrderCancelled } from "../use-cases/notify-order.js";
import { groups, OrderCancelled } from "./consumed.js";

/** ticket's OrderCancelled → cancelled, or (event_cancelled) the event is cancelled and the refund follows. */
export const orderCancelledConsumer = (d: NotificationDeps): ConsumerSpec<typeof OrderCancelled.schema> => ({
  name: "notification.order_cancelled",
  type: OrderCancelled,
  kind: "every-fact",
  sequenceGroup: groups.order,
  async handle(event, scope) {
    await notifyOrderCancelled(d, scope.principal, event, { within: scope });
  },
});
