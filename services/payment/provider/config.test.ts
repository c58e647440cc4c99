import assert from "node:assert/strict";
import { ConfigError } from "../../../platform/config/index.js";
import { loadProviderConfig, providerProblems } from "./config.js";

describe("payment provider settings", () => {
  it("defaults: the sandbox, 5 s slow charges, 4 s provider calls", () => {
    const cfg = loadProviderConfig({});
    assert.deepEqual(cfg, { provider: "sandbox", allowSandbox: false, sandboxSlowMs: 5000, timeoutMs: 4000 });
    assert.equal(loadProviderConfig({ BOXOFFICE_SANDBOX_SLOW_MS: "50" }).sandboxSlowMs, 50);
    assert.throws(() => loadProviderConfig({ BOXOFFICE_SANDBOX_SLOW_MS: "-1" }), ConfigError);
    assert.throws(() => loadProviderConfig({ BOXOFFICE_PAYMENT_PROVIDER: "stripe" }), ConfigError);
  });

  it("production mode refuses the sandbox unless explicitly allowed (staging)", () => {
    assert.deepEqual(providerProblems(loadProviderConfig({}), false), []);
    assert.match(providerProblems(loadProviderConfig({}), true)[0] ?? "", /BOXOFFICE_PAYMENT_ALLOW_SANDBOX=true/);
    assert.deepEqual(providerProblems(loadProviderConfig({ BOXOFFICE_PAYMENT_ALLOW_SANDBOX: "true" }), true), []);
  });
});
