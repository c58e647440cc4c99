import type { ConsumerSpec } from "../../../platform/app/index.js";
import { groups, PaymentFailed, PaymentSucceeded } from "./consumed.js";

/**
 * payment's PaymentSucceeded and PaymentFailed deserve no email (ticket's OrderConfirmed and
 * OrderFailed tell the buyer), but they are facts of the payment aggregate like PaymentRefunded:
 * consumed with no effect, they move the aggregate's sequence in the payment group, so the refund
 * that follows them is applied instead of waiting for them.
 */
export const paymentSequenceKeepers = (): [
  ConsumerSpec<typeof PaymentSucceeded.schema>,
  ConsumerSpec<typeof PaymentFailed.schema>,
] => [
  {
    name: "notification.payment_succeeded",
    type: PaymentSucceeded,
    kind: "every-fact",
    sequenceGroup: groups.payment,
    handle: async () => {},
  },
  {
    name: "notification.payment_failed",
    type: PaymentFailed,
    kind: "every-fact",
    sequenceGroup: groups.payment,
    handle: async () => {},
  },
];
