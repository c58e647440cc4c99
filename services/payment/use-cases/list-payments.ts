import type {
  ListPaymentsRequest,
  ListPaymentsResponse,
} from "../../../gen/boxoffice/payment/v1/payment_service_pb.js";
import { pageSize } from "../../../platform/paging/index.js";
import { hasRole, type Principal, requireUser } from "../../../platform/principal/index.js";
import { listPayments as queryPayments, refundsOfPayments } from "../db/repository.js";
import type { PaymentDeps } from "../deps.js";
import { toPaymentMessage } from "../mappers.js";

/**
 * ListPayments (public, AIP-158): the caller's own payments, newest first; an ADMIN sees every
 * user's. `order_id` narrows to one order. The page token is bound to whose payments and the order.
 */
export async function listPayments(
  d: PaymentDeps,
  principal: Principal | undefined,
  req: ListPaymentsRequest,
): Promise<Pick<ListPaymentsResponse, "payments" | "nextPageToken">> {
  const user = requireUser(principal);
  const size = pageSize(req.pageSize);
  const userId = hasRole(user, "ADMIN") ? undefined : user.subject;
  const filters = { userId: userId ?? "*", orderId: req.orderId };
  const cursor = d.pageTokens.decode<{ t: number; id: string }>(req.pageToken, filters);
  const rows = await queryPayments(d.db.orm, {
    userId,
    orderId: req.orderId || undefined,
    before: cursor === undefined ? undefined : { createTime: new Date(cursor.t), id: cursor.id },
    limit: size + 1,
  });
  const page = rows.slice(0, size);
  const refunds = await refundsOfPayments(
    d.db.orm,
    page.filter((p) => p.refundedMinor > 0).map((p) => p.id),
  );
  const last = page.at(-1);
  return {
    payments: page.map((p) => toPaymentMessage(p, refunds.get(p.id) ?? [])),
    nextPageToken:
      rows.length > size && last ? d.pageTokens.encode({ t: last.createTime.getTime(), id: last.id }, filters) : "",
  };
}
