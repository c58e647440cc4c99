import { z } from "zod";

/**
 * Configuration comes from environment variables only (12-factor). A spec names each variable, its
 * type and its default; {@link loadConfig} validates all of them at once and throws a
 * {@link ConfigError} that names every bad variable, so a misconfigured pod fails at start with a
 * message an operator can act on.
 */
export interface VarSpec<T extends z.ZodType = z.ZodType> {
  /** The environment variable, e.g. `BOXOFFICE_PORT`. */
  env: string;
  /** How the raw string is parsed and checked. */
  schema: T;
  /** One line for `boxoffice config` and error messages. */
  doc: string;
  /** What production mode (`BOXOFFICE_ENV=production`) asks of it; see {@link ProductionRule}. */
  production?: ProductionRule<z.output<T>>;
}

/**
 * What production mode asks of one variable beyond its schema. Development runs on defaults that
 * are conveniences (a key generated for this process, a local address); a deployment must not, so
 * `boxoffice serve` refuses to start, naming every variable that breaks a rule.
 */
export interface ProductionRule<V = unknown> {
  /**
   * It must be set explicitly. `true` for a service's own variable (required whenever the service
   * runs); for a runtime variable, a test of each service the process runs (see
   * {@link ServiceProfile}): required when one of them needs it.
   */
  readonly required?: boolean | ((service: ServiceProfile) => boolean);
  /** Refuses a parsed value production must not run with, saying why; gets the spec's other values. */
  readonly refuse?: (value: V, settings: Readonly<Record<string, unknown>>) => string | undefined;
}

/** What the production rules of runtime variables know about a service a process runs. */
export interface ServiceProfile {
  readonly name: string;
  /** One of its RPCs takes a `request_id` (idempotency records, keyed by the idempotency secret). */
  readonly takesRequestIds: boolean;
  /** One of its RPCs takes a `page_token` (page tokens are signed). */
  readonly pagesLists: boolean;
  /** Another service declares it as a caller of an internal RPC (it needs a service token). */
  readonly callsInternalRpcs: boolean;
}

export type ConfigSpec = Record<string, VarSpec>;
export type ConfigOf<S extends ConfigSpec> = { [K in keyof S]: z.output<S[K]["schema"]> };

/** Thrown when one or more variables are invalid; `problems` has one line per variable. */
export class ConfigError extends Error {
  constructor(
    readonly problems: string[],
    heading = "invalid configuration",
  ) {
    super(`${heading}:\n  ${problems.join("\n  ")}`);
    this.name = "ConfigError";
  }
}

/**
 * A raw value as an error message may quote it: never a secret's (a doc saying "(secret…"), never
 * the credentials in a URL, never more than 80 characters.
 */
function shown(v: VarSpec, raw: string | undefined): string {
  if (raw === undefined || raw === "") return '""';
  if (/\(secret\b/.test(v.doc)) return "[redacted]";
  const noCredentials = raw.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/\s]*@/i, "$1[redacted]@");
  return JSON.stringify(noCredentials.length > 80 ? `${noCredentials.slice(0, 80)}…` : noCredentials);
}

/** Declares one variable (with what production mode asks of it, if anything). */
export function envVar<T extends z.ZodType>(
  env: string,
  schema: T,
  doc: string,
  production?: ProductionRule<z.output<T>>,
): VarSpec<T> {
  return production === undefined ? { env, schema, doc } : { env, schema, doc, production };
}

/**
 * What production mode refuses in `spec`, one line per variable: unset when required (for
 * `services`, the profiles of the services the process runs; a rule given as `true` applies
 * whenever the spec is used), or a value a rule refuses. `settings` are the spec's parsed values.
 */
export function productionProblems(
  spec: ConfigSpec,
  env: Record<string, string | undefined>,
  settings: Readonly<Record<string, unknown>>,
  services: readonly ServiceProfile[],
): string[] {
  const problems: string[] = [];
  for (const [key, v] of Object.entries(spec)) {
    const rule = v.production;
    if (rule === undefined) continue;
    const raw = env[v.env];
    const needers =
      rule.required === true
        ? services.map((s) => s.name)
        : typeof rule.required === "function"
          ? services.filter(rule.required).map((s) => s.name)
          : [];
    if ((raw === undefined || raw === "") && needers.length > 0) {
      problems.push(`${v.env} is not set: production mode needs it for ${needers.join(", ")} (${v.doc})`);
      continue;
    }
    const why = rule.refuse?.(settings[key], settings);
    if (why !== undefined)
      problems.push(
        raw === undefined || raw === ""
          ? `${v.env} is not set, and production mode refuses its default: ${why}`
          : `${v.env}=${shown(v, raw)}: ${why}`,
      );
  }
  return problems;
}

/** Reads and validates every variable of `spec` from `env`. */
export function loadConfig<S extends ConfigSpec>(
  spec: S,
  env: Record<string, string | undefined> = process.env,
): ConfigOf<S> {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, v] of Object.entries(spec)) {
    const raw = env[v.env];
    const parsed = v.schema.safeParse(raw === "" ? undefined : raw);
    if (parsed.success) {
      out[key] = parsed.data;
    } else {
      const why = parsed.error.issues.map((i) => i.message).join("; ");
      problems.push(`${v.env}=${shown(v, raw)}: ${why} (${v.doc})`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out as ConfigOf<S>;
}

/** Common parsers for environment strings. */
export const envTypes = {
  port: (dflt: number) => z.coerce.number().int().min(0).max(65535).default(dflt),
  positiveInt: (dflt: number) => z.coerce.number().int().positive().default(dflt),
  string: (dflt: string) => z.string().default(dflt),
  enumOf: <const T extends readonly [string, ...string[]]>(values: T, dflt: T[number]) =>
    z.enum(values).default(dflt as never),
  list: (dflt: string) =>
    z
      .string()
      .default(dflt)
      .transform((s) =>
        s
          .split(",")
          .map((x) => x.trim())
          .filter((x) => x.length > 0),
      ),
  url: () => z.url().optional(),
  bool: (dflt: boolean) =>
    z
      .enum(["true", "false", "1", "0"])
      .optional()
      .transform((s) => (s === undefined ? dflt : s === "true" || s === "1")),
} as const;
