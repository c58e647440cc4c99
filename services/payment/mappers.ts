/** Rows (domain records) ↔ the contract's messages, in one place. */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type Money as MoneyMessage, MoneySchema } from "../../gen/boxoffice/common/v1/money_pb.js";
import {
  type Payment as PaymentMessage,
  PaymentSchema,
  PaymentState as PaymentStateEnum,
  type Refund as RefundMessage,
  RefundSchema,
} from "../../gen/boxoffice/payment/v1/payment_pb.js";
import { InvalidArgumentError } from "../../platform/errors/index.js";
import { type Money, moneyViolations } from "./domain/money.js";
import type { Payment, PaymentState } from "./domain/payment.js";
import type { Refund } from "./domain/refund.js";

const states: Record<PaymentState, PaymentStateEnum> = {
  PENDING: PaymentStateEnum.PENDING,
  SUCCEEDED: PaymentStateEnum.SUCCEEDED,
  FAILED: PaymentStateEnum.FAILED,
  PARTIALLY_REFUNDED: PaymentStateEnum.PARTIALLY_REFUNDED,
  REFUNDED: PaymentStateEnum.REFUNDED,
};

const money = (currencyCode: string, amountMinor: number) =>
  create(MoneySchema, { currencyCode, amountMinor: BigInt(amountMinor) });

/** The Refund message of a refund. */
export function toRefundMessage(r: Refund): RefundMessage {
  return create(RefundSchema, {
    id: r.id,
    amount: money(r.currencyCode, r.amountMinor),
    reason: r.reason,
    createTime: timestampFromDate(r.createTime),
  });
}

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
    refunds: refunds.filter((r) => r.state === "SUCCEEDED").map(toRefundMessage),
    createTime: timestampFromDate(p.createTime),
    updateTime: timestampFromDate(p.updateTime),
  });
}

/**
 * A request's Money as the domain's (amounts are exact JS numbers up to 2^53; larger ones, an
 * unknown currency or a non-positive amount are INVALID_ARGUMENT naming `field`).
 */
export function moneyOf(field: string, m: MoneyMessage | undefined): Money {
  const violations = moneyViolations(field, m);
  if (violations.length > 0 || m === undefined) throw new InvalidArgumentError(violations);
  return { currencyCode: m.currencyCode, amountMinor: Number(m.amountMinor) };
}
