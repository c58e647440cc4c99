import { ConfigError, productionProblems, type ServiceProfile } from "../config/index.js";
import { type RuntimeConfig, runtimeSpec } from "../config/runtime.js";
import type { Access } from "../rpc/access.js";
import type { ServiceModule } from "./context.js";

/**
 * What the production rules of runtime variables ask about each service: read from the contracts,
 * by the same rules the manifests use to hand each Deployment its secrets
 * (cmd/manifests/topology.ts#secretSettings; test/unit/production-mode.test.ts holds them equal).
 * `peers` are every module of the program: their access declarations say who calls whom.
 */
export function serviceProfiles(modules: readonly ServiceModule[], peers: readonly ServiceModule[]): ServiceProfile[] {
  const rules = peers.flatMap((p) => p.contracts.flatMap((c) => Object.values(c.access) as Access[]));
  return modules.map((m) => {
    const inputs = m.contracts.flatMap((c) => c.desc.methods.map((method) => method.input.fields.map((f) => f.name)));
    return {
      name: m.name,
      takesRequestIds: inputs.some((fields) => fields.includes("request_id")),
      pagesLists: inputs.some((fields) => fields.includes("page_token")),
      callsInternalRpcs: rules.some((r) => r.kind === "internal" && r.callers.includes(m.name)),
    };
  });
}

/**
 * Production mode (`BOXOFFICE_ENV=production`): refuses to serve with a ConfigError naming every
 * variable that breaks a production rule — the runtime's, for the services this process runs, and
 * each module's own (`ServiceModule.config` entries declared with a {@link ProductionRule}).
 * Development (the default) starts on generated keys and local defaults.
 */
export function assertProductionReady(
  config: RuntimeConfig,
  modules: readonly ServiceModule[],
  peers: readonly ServiceModule[],
  env: Record<string, string | undefined>,
  settings: ReadonlyMap<string, Record<string, unknown>>,
): void {
  if (config.env !== "production") return;
  const profiles = serviceProfiles(modules, peers);
  const problems = productionProblems(runtimeSpec, env, config, profiles);
  for (const [i, m] of modules.entries())
    problems.push(...productionProblems(m.config ?? {}, env, settings.get(m.name) ?? {}, [profiles[i]!]));
  if (problems.length > 0)
    throw new ConfigError(problems, "production mode (BOXOFFICE_ENV=production) refuses to start");
}
