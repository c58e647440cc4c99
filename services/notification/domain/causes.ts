/**
 * One notification per cause a person cares about. The inbox makes one delivery of an event change
 * nothing twice; these keys make one *cause* produce one notification even when it reaches us under
 * several event ids (a producer's republish, a dead-letter replay with a new id): the queue's
 * `dedupe_key` is unique, and a second enqueue with the same key finds the first.
 */
import { createHash } from "node:crypto";

/** A token's digest: the cause of an account email is its token (never stored in clear). */
const digest = (token: string): string => createHash("sha256").update(token).digest("base64url").slice(0, 32);

export const dedupeKeys = {
  welcome: (userId: string) => `welcome:${userId}`,
  emailVerification: (token: string) => `email-verification:${digest(token)}`,
  passwordReset: (token: string) => `password-reset:${digest(token)}`,
  orderConfirmed: (orderId: string) => `order-confirmed:${orderId}`,
  orderFailed: (orderId: string) => `order-failed:${orderId}`,
  /** ORDER_CANCELLED and EVENT_CANCELLED share it: an order is cancelled once, for one reason. */
  orderCancelled: (orderId: string) => `order-cancelled:${orderId}`,
  paymentRefunded: (refundId: string) => `payment-refunded:${refundId}`,
  eventRescheduled: (orderId: string, eventRevision: bigint | number) =>
    `event-rescheduled:${orderId}:${eventRevision}`,
};

/**
 * An account link: `<base>/<page>?token=<token>`. The pages belong to the web storefront, which
 * reads the token and calls VerifyEmail / ResetPassword with it.
 */
export function accountLink(base: string, page: "verify-email" | "reset-password", token: string): string {
  const url = new URL(page, base.endsWith("/") ? base : `${base}/`);
  url.searchParams.set("token", token);
  return url.toString();
}
