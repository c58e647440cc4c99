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
}): Logger {
  const options = {
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
