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
}

export type ConfigSpec = Record<string, VarSpec>;
export type ConfigOf<S extends ConfigSpec> = { [K in keyof S]: z.output<S[K]["schema"]> };

/** Thrown when one or more variables are invalid; `problems` has one line per variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join("\n  ")}`);
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

/** Declares one variable. */
export function envVar<T extends z.ZodType>(env: string, schema: T, doc: string): VarSpec<T> {
  return { env, schema, doc };
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
