import { fileURLToPath } from "node:url";
import type { ServiceModule } from "../../platform/app/index.js";
import { unimplementedService } from "../../platform/rpc/service.js";
import { notificationAccess, notificationContracts } from "./access.js";

const pending = "the notification service (confirmation emails) is not built yet";

/** notification: one confirmation email per paid order, and the delivery log. */
export const notificationModule: ServiceModule = {
  name: "notification",
  migrations: fileURLToPath(new URL("./db/migrations", import.meta.url)),
  contracts: notificationContracts,
  create: () => ({
    services: [unimplementedService(notificationAccess.desc, notificationAccess.access, pending)],
  }),
};
