import { type LevelWithSilent, type Logger, pino } from "pino";

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
export function createLogger(opts: { level: LevelWithSilent; base?: Record<string, unknown> }): Logger {
  return pino({
    level: opts.level,
    base: { ...opts.base },
    redact: { paths: redactedPaths, censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
