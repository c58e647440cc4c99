import type { Payment } from "../../services/payment/domain/payment.js";

/** A PENDING payment of 50.00 EUR for the payment domain's unit tests; `over` changes fields. */
export function pendingPayment(over: Partial<Payment> = {}): Payment {
  const t0 = new Date(Date.UTC(2030, 0, 1));
  return {
    id: "p1",
    idempotencyKey: "order-1",
    orderId: "order-1",
    userId: "user-1",
    amount: { currencyCode: "EUR", amountMinor: 5000 },
    state: "PENDING",
    failureCode: "",
    failureMessage: "",
    provider: "sandbox",
    providerReference: "",
    refundedMinor: 0,
    version: 0,
    createTime: t0,
    updateTime: t0,
    ...over,
  };
}
