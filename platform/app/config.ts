import { ConfigError, type ConfigSpec, loadConfig } from "../config/index.js";
import { loadRuntimeConfig, type RuntimeConfig, runtimeSpec } from "../config/runtime.js";
import type { ServiceModule } from "./context.js";

/**
 * The runtime's configuration and each module's own settings, validated together: one
 * {@link ConfigError} names every bad variable of the runtime and of every module at once.
 */
export function loadProcessConfig(
  modules: readonly ServiceModule[],
  env: Record<string, string | undefined>,
): { config: RuntimeConfig; settings: Map<string, Record<string, unknown>> } {
  const problems: string[] = [];
  const attempt = <T>(load: () => T): T | undefined => {
    try {
      return load();
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      problems.push(...e.problems);
      return undefined;
    }
  };
  const config = attempt(() => loadRuntimeConfig(env));
  const settings = new Map<string, Record<string, unknown>>();
  for (const m of modules) {
    const parsed = attempt(() => loadConfig(m.config ?? {}, env));
    if (parsed !== undefined) settings.set(m.name, parsed);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { config: config!, settings };
}

/** Every variable the runtime and `modules` read, grouped, one `NAME<TAB>doc` line each (`boxoffice config`). */
export function configListing(modules: readonly ServiceModule[]): string[] {
  const group = (title: string, spec: ConfigSpec) => [
    `# ${title}`,
    ...Object.values(spec).map((v) => `${v.env}\t${v.doc}`),
  ];
  const lines = group("runtime", runtimeSpec);
  for (const m of modules)
    if (m.config !== undefined && Object.keys(m.config).length > 0) lines.push("", ...group(m.name, m.config));
  return lines;
}
