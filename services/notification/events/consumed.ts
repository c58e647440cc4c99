/**
 * The integration events notification consumes, as their producers define them (gen/), and the
 * sequence groups its consumers share. Every consumer is every-fact: each fact applies once (inbox),
 * in its aggregate's order. A consumer takes one event type (nats-server 2.9), so the consumers of
 * one aggregate's types share a group that tracks the aggregate's sequence together; a group must
 * cover every type its producer publishes for that aggregate (test/unit/notification-consumers.test.ts
 * checks it against the producers' events.proto), or the later facts would wait for ones never
 * delivered to it.
 */
import {
  EmailVerificationRequestedSchema,
  PasswordResetRequestedSchema,
  UserRegisteredSchema,
} from "../../../gen/boxoffice/auth/v1/events_pb.js";
import {
  PaymentFailedSchema,
  PaymentRefundedSchema,
  PaymentSucceededSchema,
} from "../../../gen/boxoffice/payment/v1/events_pb.js";
import {
  OrderCancelledSchema,
  OrderConfirmedSchema,
  OrderFailedSchema,
  OrderRescheduledSchema,
} from "../../../gen/boxoffice/ticket/v1/events_pb.js";
import { eventType } from "../../../platform/bus/events.js";

export const UserRegistered = eventType(UserRegisteredSchema, "auth");
export const EmailVerificationRequested = eventType(EmailVerificationRequestedSchema, "auth");
export const PasswordResetRequested = eventType(PasswordResetRequestedSchema, "auth");
export const OrderConfirmed = eventType(OrderConfirmedSchema, "ticket");
export const OrderFailed = eventType(OrderFailedSchema, "ticket");
export const OrderCancelled = eventType(OrderCancelledSchema, "ticket");
export const OrderRescheduled = eventType(OrderRescheduledSchema, "ticket");
export const PaymentSucceeded = eventType(PaymentSucceededSchema, "payment");
export const PaymentFailed = eventType(PaymentFailedSchema, "payment");
export const PaymentRefunded = eventType(PaymentRefundedSchema, "payment");

/** Sequence groups, one per producer aggregate: auth's user, ticket's order, payment's payment. */
export const groups = {
  user: "notification.user",
  order: "notification.order",
  payment: "notification.payment",
} as const;
