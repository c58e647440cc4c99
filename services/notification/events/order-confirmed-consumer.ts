import type { ConsumerSpec } from "../../../platform/app/index.js";
import type { NotificationDeps } from "../deps.js";
import { notifyOrderConfirmed } from "../use-cases/notify-order.js";
import { groups, OrderConfirmed } from "./consumed.js";

/** ticket's OrderConfirmed → the tickets with their codes (read from ticket's GetOrderTickets). */
export const orderConfirmedConsumer = (d: NotificationDeps): ConsumerSpec<typeof OrderConfirmed.schema> => ({
  name: "notification.order_confirmed",
  type: OrderConfirmed,
  kind: "every-fact",
  sequenceGroup: groups.order,
  async handle(event, scope) {
    await notifyOrderConfirmed(d, scope.principal, event, { within: scope });
  },
});
