import { NotificationService } from "../../gen/boxoffice/notification/v1/notification_service_pb.js";
import { principalOf } from "../../platform/rpc/context.js";
import { defineService, type ServiceRegistration } from "../../platform/rpc/service.js";
import { notificationAccess } from "./access.js";
import type { NotificationDeps } from "./deps.js";
import { listNotifications } from "./use-cases/list-notifications.js";

/** The RPC layer of the notification service: principal + request → use-case → response. */
export function notificationServices(d: NotificationDeps): ServiceRegistration[] {
  return [
    defineService(NotificationService, notificationAccess.access, {
      listNotifications: (req, ctx) => listNotifications(d, principalOf(ctx), req),
    }),
  ];
}
