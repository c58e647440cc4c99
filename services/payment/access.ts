import { PaymentInternalService } from "../../gen/boxoffice/payment/v1/payment_internal_service_pb.js";
import { PaymentService } from "../../gen/boxoffice/payment/v1/payment_service_pb.js";
import { access, critical, sheddable } from "../../platform/rpc/access.js";
import { contract } from "../../platform/rpc/service.js";

/** Who may call each RPC of the payment service (the mesh policies are rendered from this). */
export const paymentAccess = contract(PaymentService, {
  getPayment: sheddable(access.user()),
  listPayments: sheddable(access.user()),
  // an operator's switch: still answered under load
  setSandboxFaults: critical(access.roles("ADMIN")),
});

export const paymentInternalAccess = contract(PaymentInternalService, {
  charge: access.internal("ticket"),
  refund: access.internal("ticket"),
  getChargeOutcome: access.internal("ticket"),
});

export const paymentContracts = [paymentAccess, paymentInternalAccess];
