import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { type Client, Code, ConnectError } from "@connectrpc/connect";
import { BrokenCircuitError } from "cockatiel";
import type { PaymentInternalService } from "../../../../gen/boxoffice/payment/v1/payment_internal_service_pb.js";
import { ErrorInfoSchema } from "../../../../gen/google/rpc/error_details_pb.js";
import { paymentsOver } from "./payments.js";

/** A payment client whose Charge fails with `err`. */
const failingWith = (err: unknown) =>
  paymentsOver({
    charge: () => Promise.reject(err),
  } as unknown as Client<typeof PaymentInternalService>);

const withReason = (code: Code, reason: string) =>
  new ConnectError("x", code, undefined, [
    { desc: ErrorInfoSchema, value: create(ErrorInfoSchema, { reason, domain: "payment.boxoffice" }) },
  ]);

const charge = (err: unknown) =>
  failingWith(err).charge(
    { orderId: "o", userId: "u", currencyCode: "EUR", amountMinor: 100, paymentToken: "sandbox_ok" },
    { timeoutMs: 1000 },
  );

describe("ticket's payment client: which failed charges certainly took nothing", () => {
  it("not taken: breaker open, connection refused, PROVIDER_UNAVAILABLE, JWKS_UNAVAILABLE", async () => {
    const refused = new ConnectError("connect ECONNREFUSED", Code.Unavailable, undefined, undefined, {
      code: "ECONNREFUSED",
    });
    const breaker = new ConnectError("circuit open", Code.Unavailable, undefined, undefined, new BrokenCircuitError());
    for (const err of [
      breaker,
      refused,
      withReason(Code.Unavailable, "PROVIDER_UNAVAILABLE"),
      withReason(Code.Unavailable, "JWKS_UNAVAILABLE"),
    ])
      assert.equal((await charge(err)).kind, "not_taken", err.message);
  });

  it("unknown: a timeout, a reset connection, a lost answer, another auth failure", async () => {
    const reset = new ConnectError("reset", Code.Unavailable, undefined, undefined, { code: "ECONNRESET" });
    for (const err of [
      new ConnectError("slow", Code.DeadlineExceeded),
      reset,
      withReason(Code.Unavailable, "PAYMENT_OUTCOME_UNKNOWN"),
      withReason(Code.Unauthenticated, "TOKEN_EXPIRED"),
    ])
      assert.equal((await charge(err)).kind, "unknown", err.message);
  });
});
