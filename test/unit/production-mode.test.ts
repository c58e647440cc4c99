import assert from "node:assert/strict";
import { allFacts } from "../../cmd/manifests/facts.js";
import { secretSettings, traits } from "../../cmd/manifests/topology.js";
import { modules } from "../../cmd/modules.js";
import { assertProductionReady, loadProcessConfig, serviceModule, serviceProfiles } from "../../platform/app/index.js";
import { ConfigError, envTypes, envVar } from "../../platform/config/index.js";
import { runtimeSpec, serviceNames } from "../../platform/config/runtime.js";

/** Everything production mode refuses for `chosen` under `env`, one entry per variable name. */
function refused(chosen: string[], env: Record<string, string>): string[] {
  const mods = chosen.map((n) => modules[n as keyof typeof modules]);
  const { config, settings } = loadProcessConfig(mods, env);
  try {
    assertProductionReady(config, mods, Object.values(modules), env, settings);
    return [];
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /^production mode \(BOXOFFICE_ENV=production\) refuses to start:/);
    return e.problems.map((p) => p.split(/[= ]/)[0]!).sort();
  }
}

const production = { BOXOFFICE_ENV: "production" };

describe("production mode (BOXOFFICE_ENV=production)", () => {
  it("development (the default) starts on generated keys and a wildcard origin", () => {
    assert.deepEqual(refused([...serviceNames], {}), []);
  });

  it("all services: names each missing setting and the wildcard CORS origin, in one error", () => {
    const all = refused([...serviceNames], production);
    // Services wired later add their own declarations (ticket's signing keys, the SMTP relay, …).
    for (const v of [
      "BOXOFFICE_AUTH_REFRESH_SECRET",
      "BOXOFFICE_AUTH_SIGNING_KEYS",
      "BOXOFFICE_CORS_ORIGINS",
      "BOXOFFICE_IDEMPOTENCY_SECRET",
      "BOXOFFICE_PAGE_TOKEN_SECRET",
      "BOXOFFICE_SERVICE_SECRETS",
    ])
      assert.ok(all.includes(v), `${v} is named`);
    assert.equal(new Set(all).size, all.length, "each once");
  });

  it("asks only for what the services the process runs need", () => {
    // event pages lists and takes request ids, but calls no internal RPC and holds no auth keys.
    assert.deepEqual(refused(["event"], production), [
      "BOXOFFICE_CORS_ORIGINS",
      "BOXOFFICE_IDEMPOTENCY_SECRET",
      "BOXOFFICE_PAGE_TOKEN_SECRET",
    ]);
    assert.ok(refused(["auth"], production).includes("BOXOFFICE_SERVICE_SECRETS"), "auth checks every caller's");
    assert.ok(refused(["ticket"], production).includes("BOXOFFICE_SERVICE_SECRETS"), "ticket calls event");
    assert.ok(!refused(["ticket"], production).includes("BOXOFFICE_AUTH_SIGNING_KEYS"));
  });

  it("refuses a wildcard among the origins, and says which value", () => {
    const env = { ...production, BOXOFFICE_CORS_ORIGINS: "https://shop.example,*" };
    const mods = [modules.event];
    const { config, settings } = loadProcessConfig(mods, env);
    assert.throws(
      () => assertProductionReady(config, mods, mods, env, settings),
      /BOXOFFICE_CORS_ORIGINS="https:\/\/shop\.example,\*": production needs the storefront's origins/,
    );
  });

  it("a module declares its own: required in production, or a value it refuses (generic, by declaration)", () => {
    const toy = serviceModule({
      name: "notification",
      contracts: [],
      migrations: "",
      config: {
        relay: envVar("BOXOFFICE_TOY_RELAY", envTypes.string("smtp://127.0.0.1:25"), "the relay", { required: true }),
        mode: envVar("BOXOFFICE_TOY_MODE", envTypes.enumOf(["sandbox", "live"], "sandbox"), "the mode", {
          refuse: (v, all) => (v === "sandbox" && all.relay !== "smtp://staging" ? "no sandbox here" : undefined),
        }),
      },
      create: () => ({ services: [] }),
    });
    const check = (env: Record<string, string>) => {
      const full = { ...production, BOXOFFICE_CORS_ORIGINS: "https://shop.example", ...env };
      const { config, settings } = loadProcessConfig([toy], full);
      assertProductionReady(config, [toy], [toy], full, settings);
    };
    assert.throws(
      () => check({}),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.equal(e.problems.length, 2);
        assert.match(e.problems[0]!, /^BOXOFFICE_TOY_RELAY is not set: production mode needs it for notification/);
        assert.match(
          e.problems[1]!,
          /^BOXOFFICE_TOY_MODE is not set, and production mode refuses its default: no sandbox/,
        );
        return true;
      },
    );
    check({ BOXOFFICE_TOY_RELAY: "smtp://staging" });
    check({ BOXOFFICE_TOY_RELAY: "smtp://relay", BOXOFFICE_TOY_MODE: "live" });
  });

  /**
   * The process asks for exactly the secret settings the manifests hand each Deployment, so a pod
   * never fails for a setting it was not given, and none is given that production mode does not
   * check. Infrastructure URLs (MariaDB, Redis) have no production rule: a wrong one fails at the
   * first connection; optional settings (the bootstrap admin) are optional everywhere.
   */
  it("mirrors cmd/manifests/topology.ts: per Deployment, the secrets production mode requires are the ones it gets", () => {
    const facts = allFacts(modules);
    const infra = new Set(["BOXOFFICE_MARIADB_URL", "BOXOFFICE_REDIS_URL"]);
    const profiles = serviceProfiles(Object.values(modules), Object.values(modules));
    for (const [i, service] of serviceNames.entries()) {
      const given = new Set(
        secretSettings(service, facts)
          .filter((s) => s.optional !== true && !infra.has(s.env))
          .map((s) => s.env),
      );
      const required = new Set<string>();
      for (const v of Object.values(runtimeSpec)) {
        const rule = v.production?.required;
        if (rule === true || (typeof rule === "function" && rule(profiles[i]!))) required.add(v.env);
      }
      const own = Object.values(modules[service].config ?? {});
      for (const v of own) if (v.production?.required === true) required.add(v.env);
      const missingFromManifests = [...required].filter((e) => !given.has(e));
      assert.deepEqual(missingFromManifests, [], `${service}: production mode requires what its Deployment lacks`);
      // A service's own secrets (traits.ownSecrets) are required once its module declares them; the
      // shared ones must match now.
      const ownSecrets = new Set(traits[service].ownSecrets.map((s) => s.env));
      const unchecked = [...given].filter((e) => !required.has(e) && !ownSecrets.has(e));
      assert.deepEqual(unchecked, [], `${service}: its Deployment gets settings production mode does not check`);
    }
  });
});
