/**
 * Messages ↔ rows, in one place: the integration events' parts into the payloads a notification
 * stores (domain/kinds.ts), and stored rows into the API's Notification.
 */
import { create } from "@bufbuild/protobuf";
import { type Timestamp, timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { Money as MoneyMessage } from "../../gen/boxoffice/common/v1/money_pb.js";
import {
  Channel,
  DeliveryState,
  type Notification,
  NotificationKind,
  NotificationSchema,
} from "../../gen/boxoffice/notification/v1/notification_pb.js";
import type { EventSummary } from "../../gen/boxoffice/ticket/v1/events_pb.js";
import type { Ticket } from "../../gen/boxoffice/ticket/v1/ticket_pb.js";
import type { NotificationRow } from "./db/repository.js";
import type { EventInfo, Money, TicketInfo } from "./domain/kinds.js";
import { maskAddress, messageIdFor } from "./domain/message-id.js";
import { validTimeZone } from "./domain/money-time.js";

/** A timestamp as the payloads store it (ISO 8601, UTC); the epoch when unset. */
export const isoOf = (t: Timestamp | undefined): string => (t ? timestampDate(t) : new Date(0)).toISOString();

export const moneyOf = (m: MoneyMessage | undefined): Money => ({
  currencyCode: m?.currencyCode ?? "",
  // the contract bounds amounts to 2^53 − 1, which a number holds exactly
  amountMinor: Number(m?.amountMinor ?? 0n),
});

/**
 * The event as an email shows it. A producer that left out the summary or its zone still gets its
 * email out: the name falls back to a neutral phrase and the zone to UTC (then labelled as such).
 */
export function eventInfoOf(e: EventSummary | undefined, eventId: string): EventInfo {
  const zone = e?.timeZone ?? "";
  return {
    eventId: e?.eventId || eventId,
    name: e?.name.trim() || "your event",
    startTime: isoOf(e?.startTime),
    timeZone: zone !== "" && validTimeZone(zone) ? zone : "UTC",
    venueName: e?.venueName ?? "",
    venueAddress: e?.venueCity ?? "",
  };
}

/** One issued ticket with its code (from TicketInternalService.GetOrderTickets). */
export function ticketInfoOf(t: Ticket): TicketInfo {
  const seated = t.rowLabel !== "" || t.seatLabel !== "";
  return {
    ticketId: t.id,
    // Ticket.section_name is new in the contract; until ticket fills it, say what kind of place it is
    section: t.sectionName.trim() || (seated ? "Seat" : "General admission"),
    row: t.rowLabel,
    seat: t.seatLabel,
    code: t.code,
  };
}

const ts = (d: Date | null | undefined) => (d ? timestampFromDate(d) : undefined);

/** A stored notification as ListNotifications returns it (the address masked). */
export function toNotification(row: NotificationRow, messageIdDomain: string): Notification {
  return create(NotificationSchema, {
    id: row.id,
    userId: row.userId,
    kind: NotificationKind[row.kind as keyof typeof NotificationKind] ?? NotificationKind.UNSPECIFIED,
    channel: row.channel === "EMAIL" ? Channel.EMAIL : Channel.UNSPECIFIED,
    state: DeliveryState[row.state as keyof typeof DeliveryState] ?? DeliveryState.UNSPECIFIED,
    recipient: maskAddress(row.recipient),
    subject: row.subject,
    sourceEventId: row.sourceEventId,
    attempts: row.attempts,
    createTime: ts(row.createTime),
    sendTime: row.state === "SENT" ? ts(row.sendTime) : undefined,
    lastError: row.lastError,
    nextAttemptTime: row.state === "PENDING" ? ts(row.nextAttemptTime) : undefined,
    orderId: row.orderId,
    eventId: row.eventId,
    messageId: row.channel === "EMAIL" ? messageIdFor(row.id, messageIdDomain) : "",
  });
}
