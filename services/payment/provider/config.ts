import { type ConfigOf, envTypes, envVar, loadConfig } from "../../../platform/config/index.js";

/** The payment provider's variables (declared in the payment module's config spec when it is wired). */
export const providerSpec = {
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
  timeoutMs: envVar(
    "BOXOFFICE_PAYMENT_PROVIDER_TIMEOUT_MS",
    envTypes.positiveInt(4000),
    "time limit of one provider call; past it the outcome is unknown and settles by lookup",
  ),
};

export type ProviderConfig = ConfigOf<typeof providerSpec>;

export function loadProviderConfig(env: Readonly<Record<string, string | undefined>>): ProviderConfig {
  return loadConfig(providerSpec, env);
}

/** Production mode takes no test money: the sandbox only with BOXOFFICE_PAYMENT_ALLOW_SANDBOX=true. */
export function providerProblems(cfg: ProviderConfig, production: boolean): string[] {
  if (production && cfg.provider === "sandbox" && !cfg.allowSandbox)
    return [
      "BOXOFFICE_PAYMENT_PROVIDER=sandbox takes no real money: production mode refuses it unless BOXOFFICE_PAYMENT_ALLOW_SANDBOX=true (staging)",
    ];
  return [];
}
