import { type DestinationStream, type LevelWithSilent, type Logger, pino } from "pino";
import { safeError } from "./safe-error.js";

export type { Logger } from "pino";

/** Log levels accepted by `BOXOFFICE_LOG_LEVEL`. */
export const logLevels = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

/**
 * Paths pino removes from every log line, whatever the level: credentials and tokens never reach
 * the logs. Handlers should not log them in the first place; this is the safety net.
 */
export const redactedPaths = [
  "password",
  "*.password",
  "newPassword",
  "*.newPassword",
  "token",
  "*.token",
  "accessToken",
  "*.accessToken",
  "refreshToken",
  "*.refreshToken",
  "serviceSecret",
  "*.serviceSecret",
  "paymentToken",
  "*.paymentToken",
  "authorization",
  "*.authorization",
  'headers["authorization"]',
  'headers["cookie"]',
];

/** Creates the process logger: JSON lines on stdout, with the process's service list as a field. */
export function createLogger(opts: {
  level: LevelWithSilent;
  base?: Record<string, unknown>;
  /** Where lines go (default stdout); tests capture them. */
  destination?: DestinationStream;
  /** Fields added to every line when it is written (the trace's `trace_id` and `span_id`). */
  mixin?: () => Record<string, unknown>;
}): Logger {
  const options = {
    ...(opts.mixin === undefined ? {} : { mixin: opts.mixin }),
    level: opts.level,
    base: { ...opts.base },
    redact: { paths: redactedPaths, censor: "[redacted]" },
    // errors logged as `err` lose bound parameters and quoted values (see safe-error.ts)
    serializers: { err: safeError },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return opts.destination === undefined ? pino(options) : pino(options, opts.destination);
}

/**
 * Which finished calls get an access-log line (`BOXOFFICE_ACCESS_LOG`): `all` (development's
 * default), `errors` (calls that failed; production's default), or `sample:<ratio>` (every failed
 * call and that share of the successful ones, e.g. `sample:0.01`). Metrics count every call
 * whatever this says.
 */
export type AccessLog =
  | { readonly kind: "all" }
  | { readonly kind: "errors" }
  | { readonly kind: "sample"; readonly ratio: number };

/** Parses a `BOXOFFICE_ACCESS_LOG` value; throws a TypeError naming the accepted forms. */
export function parseAccessLog(value: string): AccessLog {
  const v = value.trim();
  if (v === "all" || v === "errors") return { kind: v };
  const m = /^sample:(0?\.\d+|0|1(?:\.0+)?)$/.exec(v);
  if (m) return { kind: "sample", ratio: Number(m[1]) };
  throw new TypeError(`access log "${value}": use all, errors or sample:<ratio between 0 and 1>`);
}

/** The access log when none is configured: every call in development, failed calls in production. */
export function defaultAccessLog(env: Readonly<Record<string, string | undefined>>): AccessLog {
  return env.BOXOFFICE_ENV === "production" ? { kind: "errors" } : { kind: "all" };
}

/** Whether `value` is a valid `BOXOFFICE_ACCESS_LOG`. */
export function isAccessLog(value: string): boolean {
  try {
    parseAccessLog(value);
    return true;
  } catch {
    return false;
  }
}
