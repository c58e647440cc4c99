import { fileURLToPath } from "node:url";
import { NotificationService } from "../../gen/boxoffice/notification/v1/notification_service_pb.js";
import type { ServiceModule } from "../../platform/app/index.js";
import { access } from "../../platform/rpc/access.js";
import { unimplementedService } from "../../platform/rpc/service.js";

const pending = "the notification service (confirmation emails) is not built yet";

/** notification: one confirmation email per paid order, and the delivery log. */
export const notificationModule: ServiceModule = {
  name: "notification",
  migrations: fileURLToPath(new URL("./db/migrations", import.meta.url)),
  create: () => ({
    services: [unimplementedService(NotificationService, { listNotifications: access.user() }, pending)],
  }),
};
