import { fileURLToPath } from "node:url";
import type { ServiceModule } from "../../platform/app/index.js";
import { unimplementedService } from "../../platform/rpc/service.js";
import { paymentAccess, paymentContracts, paymentInternalAccess } from "./access.js";

const pending = "the payment service (charges, refunds) is not built yet";

/** payment: payments and refunds, charged at most once per order. */
export const paymentModule: ServiceModule = {
  name: "payment",
  migrations: fileURLToPath(new URL("./db/migrations", import.meta.url)),
  contracts: paymentContracts,
  create: () => ({
    services: [
      unimplementedService(paymentAccess.desc, paymentAccess.access, pending),
      unimplementedService(paymentInternalAccess.desc, paymentInternalAccess.access, pending),
    ],
  }),
};
