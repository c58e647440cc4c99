import type { Notification } from "../../../gen/boxoffice/notification/v1/notification_pb.js";
import type { ListNotificationsRequest } from "../../../gen/boxoffice/notification/v1/notification_service_pb.js";
import { PermissionDeniedError } from "../../../platform/errors/index.js";
import { pageSize } from "../../../platform/paging/index.js";
import { hasRole, type Principal, requireUser } from "../../../platform/principal/index.js";
import { listForUser } from "../db/repository.js";
import type { NotificationDeps } from "../deps.js";
import { toNotification } from "../mappers.js";

/**
 * ListNotifications (AIP-158): one user's notifications, newest first. A signed-in user reads their
 * own; ROLE_ADMIN may name anyone (support: "did the confirmation go out, with which Message-ID?").
 */
export async function listNotifications(
  d: NotificationDeps,
  principal: Principal | undefined,
  req: ListNotificationsRequest,
): Promise<{ notifications: Notification[]; nextPageToken: string }> {
  const user = requireUser(principal);
  const userId = req.userId === "" ? user.subject : req.userId;
  if (userId !== user.subject && !hasRole(user, "ADMIN"))
    throw new PermissionDeniedError("only an admin may list another user's notifications", "NOT_YOUR_NOTIFICATIONS");
  const size = pageSize(req.pageSize);
  const filters = { u: userId };
  const cursor = d.pageTokens.decode<{ t: number; id: string }>(req.pageToken, filters);
  const rows = await listForUser(d.db.orm, {
    userId,
    before: cursor === undefined ? undefined : { createTime: new Date(cursor.t), id: cursor.id },
    limit: size + 1,
  });
  const page = rows.slice(0, size);
  const last = page.at(-1);
  return {
    notifications: page.map((r) => toNotification(r, d.settings.messageIdDomain)),
    nextPageToken:
      rows.length > size && last !== undefined
        ? d.pageTokens.encode({ t: last.createTime.getTime(), id: last.id }, filters)
        : "",
  };
}
