import { fileURLToPath } from "node:url";
import { PaymentInternalService } from "../../gen/boxoffice/payment/v1/payment_internal_service_pb.js";
import { PaymentService } from "../../gen/boxoffice/payment/v1/payment_service_pb.js";
import type { ServiceModule } from "../../platform/app/index.js";
import { access } from "../../platform/rpc/access.js";
import { unimplementedService } from "../../platform/rpc/service.js";

const pending = "the payment service (charges, refunds) is not built yet";

/** payment: payments and refunds, charged at most once per order. */
export const paymentModule: ServiceModule = {
  name: "payment",
  migrations: fileURLToPath(new URL("./db/migrations", import.meta.url)),
  create: () => ({
    services: [
      unimplementedService(PaymentService, { getPayment: access.user(), listPayments: access.user() }, pending),
      unimplementedService(
        PaymentInternalService,
        { charge: access.internal("ticket"), refund: access.internal("ticket") },
        pending,
      ),
    ],
  }),
};
