import { ConnectError } from "@connectrpc/connect";
import { Counter, type Registry } from "prom-client";
import { type Payment, PaymentState } from "../../gen/boxoffice/payment/v1/payment_pb.js";
import { codeNames } from "../../platform/metrics/index.js";

/** Counts the answers to Charge; what the on-sale dashboard's "payment outcomes" panel shows. */
export interface ChargeOutcomes {
  answered(payment: Payment): void;
  failed(err: unknown): void;
}

/**
 * `payment_charge_answers_total{outcome}`: succeeded, failed (declined, a result), refunded — or
 * the gRPC code of an error (unavailable: provider down or outcome unknown; failed_precondition…).
 * A retried request_id counts again: these are answers, the ledger counts money.
 */
export function chargeOutcomes(registry: Registry): ChargeOutcomes {
  const answers = new Counter({
    name: "payment_charge_answers_total",
    help: "Answers to Charge by outcome: succeeded, failed (declined), refunded, or the error's gRPC code.",
    labelNames: ["outcome"],
    registers: [registry],
  });
  const stateNames: Record<number, string> = {
    [PaymentState.SUCCEEDED]: "succeeded",
    [PaymentState.FAILED]: "failed",
    [PaymentState.REFUNDED]: "refunded",
  };
  return {
    answered: (p) => answers.inc({ outcome: stateNames[p.state] ?? "other" }),
    failed: (e) => answers.inc({ outcome: codeNames[ConnectError.from(e).code] ?? "unknown" }),
  };
}
