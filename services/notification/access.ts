import { NotificationService } from "../../gen/boxoffice/notification/v1/notification_service_pb.js";
import { access, sheddable } from "../../platform/rpc/access.js";
import { contract } from "../../platform/rpc/service.js";

/** Who may call each RPC of the notification service (the mesh policies are rendered from this). */
export const notificationAccess = contract(NotificationService, { listNotifications: sheddable(access.user()) });

export const notificationContracts = [notificationAccess];
