import { PaymentInternalService } from "../../gen/boxoffice/payment/v1/payment_internal_service_pb.js";
import { PaymentService } from "../../gen/boxoffice/payment/v1/payment_service_pb.js";
import { principalOf } from "../../platform/rpc/context.js";
import { defineService, type ServiceRegistration } from "../../platform/rpc/service.js";
import { paymentAccess, paymentInternalAccess } from "./access.js";
import type { PaymentDeps } from "./deps.js";
import type { ChargeOutcomes } from "./metrics.js";
import { charge } from "./use-cases/charge.js";
import { getChargeOutcome } from "./use-cases/get-charge-outcome.js";
import { getPayment } from "./use-cases/get-payment.js";
import { listPayments } from "./use-cases/list-payments.js";
import { refund } from "./use-cases/refund.js";
import { setSandboxFaults } from "./use-cases/set-sandbox-faults.js";

/**
 * The RPC layer of the payment service: the caller's principal and the request go to the use-case,
 * its result into the response; the call's signal (its deadline) bounds the provider calls and
 * waits. Access is declared in access.ts; errors map in the platform.
 */
export function paymentServices(d: PaymentDeps, outcomes?: ChargeOutcomes): ServiceRegistration[] {
  return [
    defineService(PaymentService, paymentAccess.access, {
      getPayment: async (req, ctx) => ({ payment: await getPayment(d, principalOf(ctx), req) }),
      listPayments: (req, ctx) => listPayments(d, principalOf(ctx), req),
      setSandboxFaults: async (req, ctx) => setSandboxFaults(d, principalOf(ctx), req),
    }),
    defineService(PaymentInternalService, paymentInternalAccess.access, {
      charge: async (req, ctx) => {
        try {
          const payment = await charge(d, principalOf(ctx), req, { signal: ctx.signal });
          outcomes?.answered(payment);
          return { payment };
        } catch (e) {
          outcomes?.failed(e);
          throw e;
        }
      },
      refund: (req, ctx) => refund(d, principalOf(ctx), req, { signal: ctx.signal }),
      getChargeOutcome: async (req, ctx) => ({
        payment: await getChargeOutcome(d, principalOf(ctx), req, { signal: ctx.signal }),
      }),
    }),
  ];
}
