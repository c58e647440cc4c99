import type { Payment } from "../../../gen/boxoffice/payment/v1/payment_pb.js";
import type { GetPaymentRequest } from "../../../gen/boxoffice/payment/v1/payment_service_pb.js";
import { NotFoundError } from "../../../platform/errors/index.js";
import { hasRole, type Principal, requireUser } from "../../../platform/principal/index.js";
import { loadPayment, refundsOf, type StoredPayment } from "../db/repository.js";
import type { PaymentDeps } from "../deps.js";
import { toPaymentMessage } from "../mappers.js";

/** The Payment message of a stored payment, with its succeeded refunds (read only when there are some). */
export async function paymentMessage(d: PaymentDeps, p: StoredPayment): Promise<Payment> {
  return toPaymentMessage(p, p.refundedMinor > 0 ? await refundsOf(d.db.orm, p.id) : []);
}

/** GetPayment (public): the payer's own payment, or any for an ADMIN; another user's reads as NOT_FOUND. */
export async function getPayment(d: PaymentDeps, principal: Principal | undefined, req: GetPaymentRequest) {
  const user = requireUser(principal);
  const p = await loadPayment(d.db.orm, req.paymentId);
  if (p === undefined || (p.userId !== user.subject && !hasRole(user, "ADMIN")))
    throw new NotFoundError("payment", req.paymentId);
  return paymentMessage(d, p);
}
