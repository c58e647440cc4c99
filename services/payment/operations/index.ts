/** The payment operations the use-cases call (docs/payment.md, "Operations"). */
export { auditPayment } from "./audit.js";
export { type CallOptions, type ChargeInput, charge } from "./charge.js";
export {
  directSteps,
  type PaymentOpsDeps,
  type PaymentTiming,
  paymentTiming,
  providerKey,
  type RunStep,
  type StepResult,
} from "./deps.js";
export { chargeOutcome, type SweepResult, settleUnsettled } from "./outcome.js";
export { type RefundInput, type RefundOutcome, refund } from "./refund.js";
