/** Where domain records become the contract's messages (boxoffice.payment.v1.Payment). */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { MoneySchema } from "../../../gen/boxoffice/common/v1/money_pb.js";
import {
  type Payment as PaymentMessage,
  PaymentSchema,
  PaymentState as PaymentStateEnum,
  RefundSchema,
} from "../../../gen/boxoffice/payment/v1/payment_pb.js";
import type { Payment, PaymentState } from "./payment.js";
import type { Refund } from "./refund.js";

/**
 * PENDING has no value in the contract yet (docs/payment.md proposes PAYMENT_STATE_PENDING); until
 * it has, a pending payment reads as UNSPECIFIED and callers of Charge see UNAVAILABLE instead.
 */
const states: Record<PaymentState, PaymentStateEnum> = {
  PENDING: PaymentStateEnum.UNSPECIFIED,
  SUCCEEDED: PaymentStateEnum.SUCCEEDED,
  FAILED: PaymentStateEnum.FAILED,
  PARTIALLY_REFUNDED: PaymentStateEnum.PARTIALLY_REFUNDED,
  REFUNDED: PaymentStateEnum.REFUNDED,
};

const money = (currencyCode: string, amountMinor: number) =>
  create(MoneySchema, { currencyCode, amountMinor: BigInt(amountMinor) });

/** The Payment message; `refunds` are the payment's succeeded refunds, oldest first. */
export function toPaymentMessage(p: Payment, refunds: readonly Refund[]): PaymentMessage {
  return create(PaymentSchema, {
    id: p.id,
    orderId: p.orderId,
    userId: p.userId,
    amount: money(p.amount.currencyCode, p.amount.amountMinor),
    state: states[p.state],
    failureCode: p.failureCode,
    failureMessage: p.failureMessage,
    providerReference: p.providerReference,
    refundedAmount: money(p.amount.currencyCode, p.refundedMinor),
    refunds: refunds
      .filter((r) => r.state === "SUCCEEDED")
      .map((r) =>
        create(RefundSchema, {
          id: r.id,
          amount: money(r.currencyCode, r.amountMinor),
          reason: r.reason,
          createTime: timestampFromDate(r.createTime),
        }),
      ),
    createTime: timestampFromDate(p.createTime),
    updateTime: timestampFromDate(p.updateTime),
  });
}
