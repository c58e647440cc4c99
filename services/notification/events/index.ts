import type { DescMessage } from "@bufbuild/protobuf";
import type { ConsumerSpec, ServiceContext } from "../../../platform/app/index.js";
import type { EventType } from "../../../platform/bus/events.js";
import type { NotificationDeps } from "../deps.js";
import { emailVerificationRequestedConsumer } from "./email-verification-requested-consumer.js";
import { orderCancelledConsumer } from "./order-cancelled-consumer.js";
import { orderConfirmedConsumer } from "./order-confirmed-consumer.js";
import { orderFailedConsumer } from "./order-failed-consumer.js";
import { orderRescheduledConsumer } from "./order-rescheduled-consumer.js";
import { passwordResetRequestedConsumer } from "./password-reset-requested-consumer.js";
import { paymentRefundedConsumer } from "./payment-refunded-consumer.js";
import { paymentSequenceKeepers } from "./payment-sequence-keepers.js";
import { userRegisteredConsumer } from "./user-registered-consumer.js";

type Consume = Pick<ServiceContext, "consume">;

/** A consumer as the module lists it: what it takes, in which sequence group, and how to start it. */
export interface NotificationConsumer {
  name: string;
  type: EventType;
  sequenceGroup: string | undefined;
  start(ctx: Consume): Promise<void>;
}

/** Every consumer of the notification service, one per consumed event type. */
export function notificationConsumers(d: NotificationDeps): NotificationConsumer[] {
  const listed = <D extends DescMessage>(spec: ConsumerSpec<D>): NotificationConsumer => ({
    name: spec.name,
    type: spec.type,
    sequenceGroup: spec.sequenceGroup,
    start: (ctx) => ctx.consume({ ...spec, ackWaitMs: d.settings.consumerAckWaitMs }),
  });
  const [succeeded, failed] = paymentSequenceKeepers();
  return [
    listed(userRegisteredConsumer(d)),
    listed(emailVerificationRequestedConsumer(d)),
    listed(passwordResetRequestedConsumer(d)),
    listed(orderConfirmedConsumer(d)),
    listed(orderFailedConsumer(d)),
    listed(orderCancelledConsumer(d)),
    listed(orderRescheduledConsumer(d)),
    listed(paymentRefundedConsumer(d)),
    listed(succeeded),
    listed(failed),
  ];
}

/** Starts them (durables on the producers' streams; a stream that does not exist yet is waited for). */
export async function startConsumers(ctx: Consume, d: NotificationDeps): Promise<void> {
  for (const c of notificationConsumers(d)) await c.start(ctx);
}
