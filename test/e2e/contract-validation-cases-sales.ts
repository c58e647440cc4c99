import type { DescMethod } from "@bufbuild/protobuf";
import { NotificationService } from "../../gen/boxoffice/notification/v1/notification_service_pb.js";
import { PaymentService } from "../../gen/boxoffice/payment/v1/payment_service_pb.js";
import { TicketService } from "../../gen/boxoffice/ticket/v1/ticket_service_pb.js";
import { encodeCode, signedBytes } from "../../services/ticket/orders/domain/ticket-code.js";
import { type Caller, type Json, type Row, rid, uuid, v, x } from "./contract-validation-table.js";

/** The rows of the services not built yet: every valid request answers UNIMPLEMENTED from the handler. */
export function ticketRows(): Row[] {
  const m = TicketService.method;
  const availability = { eventId: uuid(), sectionId: uuid(), includeSeats: true };
  const seat = (label: string) => ({ seat: { sectionId: uuid(), rowLabel: "A", seatLabel: label } });
  const hold = {
    requestId: rid(),
    eventId: uuid(),
    items: [seat("1"), { generalAdmission: { sectionId: uuid(), quantity: 50 } }],
  };
  const checkout = { requestId: rid(), holdId: uuid(), paymentToken: "sandbox_ok" };
  const orders = { pageSize: 10, states: ["ORDER_STATE_CONFIRMED"], eventId: uuid() };
  const cancel = { requestId: rid(), orderId: uuid(), reason: "" };
  // well formed, signed by a key nobody publishes: past validation, then NOT_FOUND (a forged code)
  const forged = encodeCode(
    signedBytes({ kid: "nobody", ticketId: uuid(), eventId: uuid(), sectionId: uuid(), rowLabel: "A", seatLabel: "1" }),
    new Uint8Array(64),
  );
  const checkIn = { requestId: rid(), eventId: uuid(), code: forged };
  /** An RPC whose request is one id (plus `base`). */
  const byId = (
    method: DescMethod,
    key: string,
    field: string,
    as: Caller,
    base: Json = {},
    answers: Row["answers"] = "unimplemented",
  ): Row => {
    const valid = { ...base, [key]: uuid() };
    return {
      method,
      as,
      valid,
      answers,
      violating: [
        v(valid, "not a UUID", key, "1234", field, "string.uuid"),
        v(valid, "missing", key, "", field, "required"),
      ],
    };
  };
  return [
    {
      method: m.getAvailability,
      as: "anonymous",
      valid: availability,
      answers: "not_found",
      violating: [
        v(availability, "not a UUID", "sectionId", "s", "section_id", "string.uuid"),
        v(availability, "missing", "eventId", undefined, "event_id", "required"),
      ],
    },
    byId(m.watchAvailability, "eventId", "event_id", "anonymous", {}, "not_found"),
    {
      method: m.holdSeats,
      as: "customer",
      valid: hold,
      answers: "not_found",
      violating: [
        v(hold, "too long", "items[0].seat.seatLabel", x(9), "items[0].seat.seat_label", "string.max_len"),
        v(
          hold,
          "too long",
          "items",
          Array.from({ length: 51 }, (_, i) => seat(String(i))),
          "items",
          "repeated.max_items",
        ),
        v(
          hold,
          "not a UUID",
          "items[1].generalAdmission.sectionId",
          "ga",
          "items[1].general_admission.section_id",
          "string.uuid",
        ),
        v(
          hold,
          "out of range",
          "items[1].generalAdmission.quantity",
          0,
          "items[1].general_admission.quantity",
          "int32.gte_lte",
        ),
        v(hold, "missing", "items", [], "items", "repeated.min_items"),
        v(hold, "missing", "items[0]", {}, "items[0].kind", "required"),
      ],
    },
    byId(m.releaseHold, "holdId", "hold_id", "customer", { requestId: rid() }, "not_found"),
    {
      method: m.checkout,
      as: "customer",
      valid: checkout,
      answers: "not_found",
      violating: [
        v(checkout, "too long", "paymentToken", x(513), "payment_token", "string.max_len"),
        v(checkout, "not a UUID", "holdId", "h", "hold_id", "string.uuid"),
        v(checkout, "missing", "paymentToken", "", "payment_token", "required"),
      ],
    },
    byId(m.getOrder, "orderId", "order_id", "customer", {}, "not_found"),
    byId(m.watchOrder, "orderId", "order_id", "customer", {}, "not_found"),
    {
      method: m.listOrders,
      as: "customer",
      valid: orders,
      answers: "ok",
      violating: [
        v(orders, "too long", "pageToken", x(513), "page_token", "string.max_len"),
        v(orders, "not a UUID", "eventId", "e", "event_id", "string.uuid"),
        v(orders, "out of range", "pageSize", -1, "page_size", "int32.gte"),
        v(orders, "undefined enum", "states", [42], "states[0]", "enum.defined_only"),
      ],
    },
    {
      method: m.cancelOrder,
      as: "customer",
      valid: cancel,
      answers: "not_found",
      violating: [
        v(cancel, "too long", "reason", x(501), "reason", "string.max_len"),
        v(cancel, "not a UUID", "orderId", "o", "order_id", "string.uuid"),
        v(cancel, "missing", "requestId", "", "request_id", "required"),
      ],
    },
    byId(m.getTicket, "ticketId", "ticket_id", "customer", {}, "not_found"),
    {
      method: m.checkIn,
      as: "organizer",
      valid: checkIn,
      answers: "not_found",
      violating: [
        v(checkIn, "too long", "code", x(1025), "code", "string.max_len"),
        v(checkIn, "not a UUID", "eventId", "e", "event_id", "string.uuid"),
        v(checkIn, "missing", "code", "", "code", "required"),
      ],
    },
    {
      method: m.listTickets,
      as: "customer",
      valid: { pageSize: 10, eventId: uuid() },
      answers: "ok",
      violating: [
        v({}, "too long", "pageToken", x(513), "page_token", "string.max_len"),
        v({}, "not a UUID", "eventId", "e", "event_id", "string.uuid"),
        v({}, "not a UUID", "userId", "u", "user_id", "string.uuid"),
        v({}, "out of range", "pageSize", -1, "page_size", "int32.gte"),
      ],
    },
    byId(m.getSalesSummary, "eventId", "event_id", "organizer", {}, "not_found"),
  ];
}

export function paymentAndNotificationRows(): Row[] {
  const list = { pageSize: 10, pageToken: "", orderId: uuid() };
  const notifications = { pageSize: 10, userId: uuid() };
  return [
    {
      method: PaymentService.method.getPayment,
      as: "customer",
      valid: { paymentId: uuid() },
      answers: "not_found",
      violating: [
        v({}, "not a UUID", "paymentId", "p", "payment_id", "string.uuid"),
        v({}, "missing", "paymentId", "", "payment_id", "required"),
      ],
    },
    {
      method: PaymentService.method.listPayments,
      as: "customer",
      valid: list,
      answers: "ok",
      violating: [
        v(list, "too long", "pageToken", x(513), "page_token", "string.max_len"),
        v(list, "not a UUID", "orderId", "o", "order_id", "string.uuid"),
        v(list, "out of range", "pageSize", -1, "page_size", "int32.gte"),
      ],
    },
    {
      method: PaymentService.method.setSandboxFaults,
      as: "admin",
      valid: { latencyMs: 0, failureRate: 0, lostAnswerRate: 0 },
      answers: "ok",
      violating: [
        v({}, "out of range", "latencyMs", 60_001, "latency_ms", "int32.gte_lte"),
        v({}, "out of range", "failureRate", 1.5, "failure_rate", "double.gte_lte"),
        v({}, "out of range", "lostAnswerRate", -0.1, "lost_answer_rate", "double.gte_lte"),
      ],
    },
    {
      method: NotificationService.method.listNotifications,
      // an admin may name any user (a customer naming another user is PERMISSION_DENIED)
      as: "admin",
      valid: notifications,
      answers: "ok",
      violating: [
        v(notifications, "too long", "pageToken", x(513), "page_token", "string.max_len"),
        v(notifications, "not a UUID", "userId", "u", "user_id", "string.uuid"),
        v(notifications, "out of range", "pageSize", -1, "page_size", "int32.gte"),
      ],
    },
  ];
}
