import type { ServiceContext } from "../../../platform/app/index.js";
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

/** Starts every consumer of the notification service (durables on the producers' streams). */
export async function startConsumers(ctx: Pick<ServiceContext, "consume">, d: NotificationDeps): Promise<void> {
  await ctx.consume(userRegisteredConsumer(d));
  await ctx.consume(emailVerificationRequestedConsumer(d));
  await ctx.consume(passwordResetRequestedConsumer(d));
  await ctx.consume(orderConfirmedConsumer(d));
  await ctx.consume(orderFailedConsumer(d));
  await ctx.consume(orderCancelledConsumer(d));
  await ctx.consume(orderRescheduledConsumer(d));
  await ctx.consume(paymentRefundedConsumer(d));
  const [succeeded, failed] = paymentSequenceKeepers();
  await ctx.consume(succeeded);
  await ctx.consume(failed);
}
