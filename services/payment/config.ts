import { z } from "zod";
import { type ConfigOf, envTypes, envVar } from "../../platform/config/index.js";

/**
 * The payment service's own variables (ServiceModule.config: validated at start with the runtime's,
 * listed by `boxoffice config`). Timing defaults and why: docs/payment.md, "Timing".
 */
export const paymentSpec = {
  provider: envVar("BOXOFFICE_PAYMENT_PROVIDER", envTypes.enumOf(["sandbox"], "sandbox"), "the card processor adapter"),
  allowSandbox: envVar(
    "BOXOFFICE_PAYMENT_ALLOW_SANDBOX",
    envTypes.bool(false),
    "let production mode use the sandbox provider (staging only)",
  ),
  sandboxSlowMs: envVar(
    "BOXOFFICE_SANDBOX_SLOW_MS",
    envTypes.positiveInt(5000),
    "how long a sandbox_slow charge takes",
  ),
  providerTimeoutMs: envVar(
    "BOXOFFICE_PAYMENT_PROVIDER_TIMEOUT_MS",
    envTypes.positiveInt(4000),
    "time limit of one provider call; past it the outcome is unknown and settles by lookup",
  ),
  inFlightMs: envVar(
    "BOXOFFICE_PAYMENT_IN_FLIGHT_MS",
    envTypes.positiveInt(5000),
    "how long a charge request can still reach the provider after we stopped waiting for it (the sandbox runs in-process; raise it to a real processor's bound)",
  ),
  retryGraceMs: envVar(
    "BOXOFFICE_PAYMENT_RETRY_GRACE_MS",
    envTypes.positiveInt(5000),
    "after the provider refused a charge before processing it: how long the caller has to retry before the payment is FAILED (CHARGE_NOT_COMPLETED)",
  ),
  settleEveryMs: envVar(
    "BOXOFFICE_PAYMENT_SETTLE_EVERY_MS",
    envTypes.positiveInt(2000),
    "pause between rounds of the sweep that settles payments and refunds whose outcome is unknown",
  ),
  environment: envVar(
    "BOXOFFICE_ENV",
    z.string().optional(),
    "production refuses the sandbox provider unless BOXOFFICE_PAYMENT_ALLOW_SANDBOX=true",
  ),
};

export type PaymentConfig = ConfigOf<typeof paymentSpec>;

/**
 * Production mode takes no test money: the sandbox only with BOXOFFICE_PAYMENT_ALLOW_SANDBOX=true
 * (staging). One line per problem, naming the variables, for a ConfigError at start.
 */
export function providerProblems(cfg: Pick<PaymentConfig, "provider" | "allowSandbox" | "environment">): string[] {
  if (cfg.environment === "production" && cfg.provider === "sandbox" && !cfg.allowSandbox)
    return [
      "BOXOFFICE_PAYMENT_PROVIDER=sandbox takes no real money: production mode (BOXOFFICE_ENV=production) refuses it unless BOXOFFICE_PAYMENT_ALLOW_SANDBOX=true (staging)",
    ];
  return [];
}
