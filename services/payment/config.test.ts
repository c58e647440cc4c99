import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../../platform/config/index.js";
import { paymentSpec, providerProblems } from "./config.js";

describe("payment settings", () => {
  it("defaults: the sandbox, 5 s slow charges, 4 s provider calls, 5 s doubt bounds, a 2 s sweep", () => {
    const cfg = loadConfig(paymentSpec, {});
    assert.deepEqual(cfg, {
      provider: "sandbox",
      allowSandbox: false,
      sandboxSlowMs: 5000,
      providerTimeoutMs: 4000,
      inFlightMs: 5000,
      retryGraceMs: 5000,
      settleEveryMs: 2000,
      environment: undefined,
    });
    assert.equal(loadConfig(paymentSpec, { BOXOFFICE_SANDBOX_SLOW_MS: "50" }).sandboxSlowMs, 50);
    assert.throws(() => loadConfig(paymentSpec, { BOXOFFICE_SANDBOX_SLOW_MS: "-1" }), ConfigError);
    assert.throws(
      () => loadConfig(paymentSpec, { BOXOFFICE_PAYMENT_PROVIDER: "stripe" }),
      /BOXOFFICE_PAYMENT_PROVIDER/,
    );
  });

  it("production mode refuses the sandbox unless explicitly allowed (staging)", () => {
    const cfg = (env: Record<string, string>) => loadConfig(paymentSpec, env);
    assert.deepEqual(providerProblems(cfg({})), []);
    assert.deepEqual(providerProblems(cfg({ BOXOFFICE_ENV: "development" })), []);
    const refused = providerProblems(cfg({ BOXOFFICE_ENV: "production" }));
    assert.equal(refused.length, 1);
    assert.match(refused[0]!, /BOXOFFICE_PAYMENT_PROVIDER=sandbox.*BOXOFFICE_PAYMENT_ALLOW_SANDBOX=true/);
    assert.deepEqual(
      providerProblems(cfg({ BOXOFFICE_ENV: "production", BOXOFFICE_PAYMENT_ALLOW_SANDBOX: "true" })),
      [],
    );
  });
});
