/**
 * The integration events the payment service publishes (declared in its ServiceModule) and their
 * builders. Use-cases emit them with the pipeline's `scope.emit` in the transaction that records
 * the change. Aggregate: the payment, versioned by {@link Payment.version}.
 */
import type { DescMessage } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  PaymentFailedSchema,
  PaymentRefundedSchema,
  PaymentSucceededSchema,
} from "../../../gen/boxoffice/payment/v1/events_pb.js";
import { eventType } from "../../../platform/bus/events.js";
import type { OutboxEvent } from "../../../platform/commands/index.js";
import type { Money } from "../domain/money.js";
import type { Payment } from "../domain/payment.js";
import type { Refund } from "../domain/refund.js";

export const PaymentSucceeded = eventType(PaymentSucceededSchema, "payment");
export const PaymentFailed = eventType(PaymentFailedSchema, "payment");
export const PaymentRefunded = eventType(PaymentRefundedSchema, "payment");
export const paymentPublishes = [PaymentSucceeded, PaymentFailed, PaymentRefunded];

const aggregate = (p: Payment) => ({ type: "payment", id: p.id, version: p.version });
/** Type-checks the payload against its event's schema, then widens it for the outbox. */
const typed = <D extends DescMessage>(e: OutboxEvent<D>) => e as unknown as OutboxEvent;
const wire = (m: Money) => ({ currencyCode: m.currencyCode, amountMinor: BigInt(m.amountMinor) });

/** The event a settled payment announces (SUCCEEDED or FAILED). */
export function outcomeEvent(p: Payment): OutboxEvent {
  const base = { paymentId: p.id, orderId: p.orderId, userId: p.userId };
  if (p.state === "FAILED") {
    return typed({
      type: PaymentFailed,
      aggregate: aggregate(p),
      payload: {
        ...base,
        failureCode: p.failureCode,
        failureMessage: p.failureMessage,
        failTime: timestampFromDate(p.updateTime),
      },
    });
  }
  if (p.state !== "SUCCEEDED") throw new Error(`no outcome event for a ${p.state} payment`);
  return typed({
    type: PaymentSucceeded,
    aggregate: aggregate(p),
    payload: { ...base, amount: wire(p.amount), succeedTime: timestampFromDate(p.updateTime) },
  });
}

/** PaymentRefunded for `refund`, with `p` the payment after it. */
export function refundedEvent(p: Payment, refund: Refund): OutboxEvent {
  return typed({
    type: PaymentRefunded,
    aggregate: aggregate(p),
    payload: {
      paymentId: p.id,
      orderId: p.orderId,
      userId: p.userId,
      refundId: refund.id,
      amount: wire({ currencyCode: refund.currencyCode, amountMinor: refund.amountMinor }),
      refundTime: timestampFromDate(refund.updateTime),
      totalRefundedAmount: wire({ currencyCode: p.amount.currencyCode, amountMinor: p.refundedMinor }),
      fullyRefunded: p.state === "REFUNDED",
    },
  });
}
