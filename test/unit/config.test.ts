import assert from "node:assert/strict";
import { configListing, loadProcessConfig, serviceModule } from "../../platform/app/index.js";
import { ConfigError, envTypes, envVar } from "../../platform/config/index.js";
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

describe("process configuration: the runtime's and every module's spec together", () => {
  const toy = serviceModule({
    name: "ticket",
    contracts: [],
    migrations: "",
    config: { holdMinutes: envVar("BOXOFFICE_TICKET_HOLD_MINUTES", envTypes.positiveInt(10), "how long a hold lasts") },
    create: () => ({ services: [] }),
  });

  it("parses each module's settings, typed, with their defaults", () => {
    const { config, settings } = loadProcessConfig([toy], { BOXOFFICE_TICKET_HOLD_MINUTES: "7" });
    assert.equal(config.port, 8080);
    assert.deepEqual(settings.get("ticket"), { holdMinutes: 7 });
    assert.deepEqual(loadProcessConfig([toy], {}).settings.get("ticket"), { holdMinutes: 10 });
  });

  it("names every bad variable of the runtime and of the modules in one error", () => {
    assert.throws(
      () => loadProcessConfig([toy], { BOXOFFICE_PORT: "eighty", BOXOFFICE_TICKET_HOLD_MINUTES: "-1" }),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.deepEqual(
          e.problems.map((p) => p.split("=")[0]),
          ["BOXOFFICE_PORT", "BOXOFFICE_TICKET_HOLD_MINUTES"],
        );
        return true;
      },
    );
  });

  it("lists every variable, grouped by who reads it (boxoffice config)", () => {
    const lines = configListing([toy]);
    assert.equal(lines[0], "# runtime");
    assert.ok(lines.includes("BOXOFFICE_PORT\tthe one port for gRPC, Connect and gRPC-Web"));
    assert.deepEqual(lines.slice(-3), ["", "# ticket", "BOXOFFICE_TICKET_HOLD_MINUTES\thow long a hold lasts"]);
  });
});
