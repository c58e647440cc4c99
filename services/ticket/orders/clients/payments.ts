/**
 * The payment service as the order half sees it: Charge with the order id as idempotency key,
 * GetChargeOutcome for reconciliation (never a second Charge: the token is not stored), Refund
 * under a request id derived from the order. Calls go through `ctx.client` (the resilience policy:
 * a timeout per attempt, retries on UNAVAILABLE for these idempotent RPCs, a breaker on payment).
 * Every answer is mapped here to what it means for an order; anything that does not say what
 * happened is "unknown" and settles later.
 */
import { type Client, Code, ConnectError } from "@connectrpc/connect";
import { BrokenCircuitError } from "cockatiel";
import type { PaymentInternalService } from "../../../../gen/boxoffice/payment/v1/payment_internal_service_pb.js";
import { type Payment, PaymentState } from "../../../../gen/boxoffice/payment/v1/payment_pb.js";
import { ErrorInfoSchema } from "../../../../gen/google/rpc/error_details_pb.js";
import type { PaymentFact } from "../domain/order.js";

export type ChargeResult =
  | { readonly kind: "settled"; readonly payment: Payment }
  /** Certainly nothing was charged (the call never reached payment, or payment says so): try again. */
  | { readonly kind: "not_taken"; readonly why: string }
  | { readonly kind: "unknown"; readonly why: string };

export type OutcomeResult =
  | PaymentFact
  | { readonly kind: "pending" }
  | { readonly kind: "unavailable"; readonly why: string };

export type RefundResult =
  | { readonly kind: "done"; readonly note: string }
  /** Payment refuses for good (an unknown payment, a reused request id): recorded for an operator. */
  | { readonly kind: "refused"; readonly why: string }
  | { readonly kind: "retry"; readonly why: string };

export interface Payments {
  charge(
    input: { orderId: string; userId: string; currencyCode: string; amountMinor: number; paymentToken: string },
    opts: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<ChargeResult>;
  outcome(orderId: string, opts?: { timeoutMs?: number }): Promise<OutcomeResult>;
  refund(
    input: { orderId: string; paymentId: string; reason: string },
    opts?: { timeoutMs?: number },
  ): Promise<RefundResult>;
}

/** The fact a payment record states: a charge that was taken (even if refunded since) succeeded. */
export function factOf(p: Payment): PaymentFact | undefined {
  switch (p.state) {
    case PaymentState.SUCCEEDED:
    case PaymentState.REFUNDED:
    case PaymentState.PARTIALLY_REFUNDED:
      return { kind: "succeeded", paymentId: p.id };
    case PaymentState.FAILED:
      return { kind: "failed", paymentId: p.id, failureCode: p.failureCode };
    default:
      return undefined;
  }
}

const reasonOf = (e: ConnectError) => e.findDetails(ErrorInfoSchema)[0]?.reason ?? "";
const describe = (e: ConnectError) =>
  `${Code[e.code]}${reasonOf(e) ? ` ${reasonOf(e)}` : ""}: ${e.rawMessage}`.slice(0, 280);

/**
 * True when a failed Charge certainly charged nothing: our breaker on payment is open (the call was
 * not made), payment refused the connection (it never saw the request) or could not verify our
 * token (JWKS_UNAVAILABLE: refused before any work), or payment answered PROVIDER_UNAVAILABLE (its
 * promise: nothing was charged). Anything else — a timeout, a reset
 * connection, PAYMENT_OUTCOME_UNKNOWN — may have charged, so the order must wait for the outcome.
 */
function notTaken(err: ConnectError): boolean {
  if (err.code !== Code.Unavailable) return false;
  // PROVIDER_UNAVAILABLE: payment's promise; JWKS_UNAVAILABLE: payment could not check our
  // credentials (auth's keys out of reach), so it refused before any work
  const reason = reasonOf(err);
  if (reason === "PROVIDER_UNAVAILABLE" || reason === "JWKS_UNAVAILABLE") return true;
  for (let c: unknown = err.cause, depth = 0; c !== null && typeof c === "object" && depth < 5; depth++) {
    if (c instanceof BrokenCircuitError) return true;
    if ((c as { code?: unknown }).code === "ECONNREFUSED") return true;
    c = (c as { cause?: unknown }).cause;
  }
  return false;
}

/** The request id of an order's one refund (8–64 of [A-Za-z0-9_-]). */
export const refundRequestId = (orderId: string) => `refund_${orderId}`;

export function paymentsOver(client: Client<typeof PaymentInternalService>): Payments {
  return {
    async charge(input, opts) {
      try {
        const { payment } = await client.charge(
          {
            requestId: input.orderId,
            orderId: input.orderId,
            userId: input.userId,
            amount: { currencyCode: input.currencyCode, amountMinor: BigInt(input.amountMinor) },
            paymentToken: input.paymentToken,
          },
          { timeoutMs: opts.timeoutMs, signal: opts.signal },
        );
        if (payment === undefined || factOf(payment) === undefined)
          return { kind: "unknown", why: `payment answered ${payment ? PaymentState[payment.state] : "nothing"}` };
        return { kind: "settled", payment };
      } catch (e) {
        const err = ConnectError.from(e);
        if (notTaken(err)) return { kind: "not_taken", why: describe(err) };
        // timeouts, UNAVAILABLE with an unknown outcome, a process killed mid-call…
        return { kind: "unknown", why: describe(err) };
      }
    },

    async outcome(orderId, opts = {}) {
      try {
        const { payment } = await client.getChargeOutcome({ orderId }, { timeoutMs: opts.timeoutMs ?? 5000 });
        const fact = payment === undefined ? undefined : factOf(payment);
        return fact ?? { kind: "pending" };
      } catch (e) {
        const err = ConnectError.from(e);
        if (err.code === Code.NotFound && reasonOf(err) === "CHARGE_NOT_FOUND") return { kind: "not_found" };
        return { kind: "unavailable", why: describe(err) };
      }
    },

    async refund(input, opts = {}) {
      try {
        const { payment } = await client.refund(
          { requestId: refundRequestId(input.orderId), paymentId: input.paymentId, reason: input.reason },
          { timeoutMs: opts.timeoutMs ?? 5000 },
        );
        return { kind: "done", note: payment ? PaymentState[payment.state] : "" };
      } catch (e) {
        const err = ConnectError.from(e);
        const reason = reasonOf(err);
        if (err.code === Code.FailedPrecondition) {
          // nothing left to take back: refunded already, or the charge failed after all
          if (reason === "PAYMENT_REFUNDED" || reason === "PAYMENT_FAILED") return { kind: "done", note: reason };
          if (reason === "PAYMENT_NOT_SETTLED") return { kind: "retry", why: describe(err) };
          return { kind: "refused", why: describe(err) };
        }
        if (err.code === Code.NotFound || err.code === Code.InvalidArgument)
          return { kind: "refused", why: describe(err) };
        return { kind: "retry", why: describe(err) };
      }
    },
  };
}
