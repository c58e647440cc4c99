import assert from "node:assert/strict";
import { ConfigError } from "../../platform/config/index.js";
import { loadRuntimeConfig, parseServiceList, serviceUrl } from "../../platform/config/runtime.js";

describe("runtime configuration", () => {
  it("has working defaults with an empty environment", () => {
    const cfg = loadRuntimeConfig({});
    assert.equal(cfg.port, 8080);
    assert.equal(cfg.adminPort, 9090);
    assert.deepEqual(cfg.corsOrigins, ["*"]);
    assert.equal(serviceUrl(cfg, "ticket"), "http://127.0.0.1:8080");
  });

  it("names every invalid variable in one error", () => {
    assert.throws(
      () =>
        loadRuntimeConfig({ BOXOFFICE_PORT: "eighty", BOXOFFICE_LOG_LEVEL: "loud", BOXOFFICE_AUTH_URL: "not a url" }),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.equal(e.problems.length, 3);
        assert.match(e.message, /BOXOFFICE_PORT="eighty"/);
        assert.match(e.message, /BOXOFFICE_LOG_LEVEL="loud"/);
        assert.match(e.message, /BOXOFFICE_AUTH_URL="not a url"/);
        return true;
      },
    );
  });

  it("parses lists and per-service URLs", () => {
    const cfg = loadRuntimeConfig({
      BOXOFFICE_CORS_ORIGINS: "https://a.example, https://b.example",
      BOXOFFICE_PAYMENT_URL: "http://payment:8080",
    });
    assert.deepEqual(cfg.corsOrigins, ["https://a.example", "https://b.example"]);
    assert.equal(serviceUrl(cfg, "payment"), "http://payment:8080");
    assert.equal(serviceUrl(cfg, "auth", 4321), "http://127.0.0.1:4321");
  });

  it("accepts `all` or a subset of known services, in start order", () => {
    assert.deepEqual(parseServiceList("all"), ["auth", "event", "ticket", "payment", "notification"]);
    assert.deepEqual(parseServiceList("payment, ticket"), ["ticket", "payment"]);
    assert.throws(() => parseServiceList("ticket,tickets"), /unknown service tickets/);
    assert.throws(() => parseServiceList(""), /--services/);
  });
});
