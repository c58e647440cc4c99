import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type SalesSummary, SalesSummarySchema } from "../../../../gen/boxoffice/ticket/v1/availability_pb.js";
import type { GetSalesSummaryRequest } from "../../../../gen/boxoffice/ticket/v1/ticket_service_pb.js";
import { NotFoundError, PermissionDeniedError } from "../../../../platform/errors/index.js";
import { hasRole, type Principal, requireUser } from "../../../../platform/principal/index.js";
import { revenueBySection } from "../db/orders.js";
import { checkedInBySection } from "../db/tickets.js";
import type { OrdersDeps } from "../deps.js";
import { money } from "../mappers.js";

/**
 * GetSalesSummary: per section, what is sold (CONFIRMED orders), held (ACTIVE holds and
 * PENDING_PAYMENT orders) and available — one read of the places — plus the revenue of CONFIRMED
 * orders (cancelled, refunded orders excluded) and the tickets checked in. The event's organiser or
 * ROLE_ADMIN.
 */
export async function getSalesSummary(
  d: OrdersDeps,
  principal: Principal | undefined,
  req: GetSalesSummaryRequest,
): Promise<SalesSummary> {
  const user = requireUser(principal);
  const inv = await d.inventory.loadInventory(d.db.orm, req.eventId);
  if (inv === undefined) throw new NotFoundError("event", req.eventId);
  if (!hasRole(user, "ADMIN") && inv.organizerId !== user.subject)
    throw new PermissionDeniedError("only the event's organiser or an admin sees its sales", "NOT_EVENT_STAFF");
  const now = d.clock.date();
  const [counts, revenue, checkedIn] = await Promise.all([
    d.inventory.sectionCounts(d.db.orm, inv.invId, now),
    revenueBySection(d.db.orm, req.eventId),
    checkedInBySection(d.db.orm, req.eventId),
  ]);
  const byNo = new Map(counts.map((c) => [c.sectionNo, c]));
  const currency = inv.sections[0]?.currencyCode ?? "EUR";
  let total = 0;
  const sections = inv.sections.map((s) => {
    const c = byNo.get(s.sectionNo);
    const minor = revenue.get(s.sectionId) ?? 0;
    total += minor;
    return {
      sectionId: s.sectionId,
      sold: c?.sold ?? 0,
      held: c?.held ?? 0,
      available: c?.available ?? 0,
      revenue: money(s.currencyCode, minor),
      checkedIn: checkedIn.get(s.sectionId) ?? 0,
    };
  });
  return create(SalesSummarySchema, {
    eventId: req.eventId,
    sections,
    revenue: money(currency, total),
    readTime: timestampFromDate(now),
  });
}
