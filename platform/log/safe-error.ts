/**
 * Errors as logs and dead letters may show them: no bound parameters, no values the database
 * quoted back. Drizzle's query errors carry the statement's parameters (password hashes, emails) in
 * `params` and in their message; mysql2 errors quote values ("Duplicate entry 'bob@example.com'")
 * and may carry the interpolated statement in `sql`. Redaction happens here, at the one place
 * errors are turned into text, so no caller has to remember it.
 */

/** What survives of an error: name, a redacted message, codes, frames, and the same for its cause. */
export interface SafeError {
  type: string;
  message: string;
  code?: string | number;
  errno?: number;
  sqlState?: string;
  stack?: string;
  cause?: SafeError;
}

// mysql2/MariaDB messages that quote a value: Duplicate entry '…', Incorrect … value: '…', … for value '…'
const quotedValue = /((?:entry|value:?|for value)\s+)'(?:[^'\\]|\\.|'')*'/gi;

/** The message with quoted values and drizzle's parameter list removed. */
export function redactMessage(message: string): string {
  let m = message;
  const params = m.indexOf("\nparams: ");
  if (m.startsWith("Failed query: ") && params >= 0) m = `${m.slice(0, params)} [parameters redacted]`;
  return m.replace(quotedValue, "$1'[redacted]'");
}

/** A loggable copy of `err` (pino's `err` serializer and dead-letter reasons use it). */
export function safeError(err: unknown, depth = 0): SafeError {
  if (!(err instanceof Error)) return { type: typeof err, message: redactMessage(String(err)).slice(0, 1000) };
  const e = err as Error & { code?: unknown; errno?: unknown; sqlState?: unknown };
  const message = redactMessage(e.message);
  const out: SafeError = { type: e.name, message };
  if (typeof e.code === "string" || typeof e.code === "number") out.code = e.code;
  if (typeof e.errno === "number") out.errno = e.errno;
  if (typeof e.sqlState === "string") out.sqlState = e.sqlState;
  if (typeof e.stack === "string") {
    // the first lines of a stack repeat the message: keep only the frames
    const frames = e.stack.split("\n").filter((l) => l.startsWith("    at "));
    out.stack = [`${e.name}: ${message}`, ...frames].join("\n");
  }
  if (e.cause !== undefined && depth < 4) out.cause = safeError(e.cause, depth + 1);
  return out;
}

/** One line: the error's name and redacted message, with its cause's. */
export function describeSafely(err: unknown): string {
  const s = safeError(err);
  const cause = s.cause !== undefined && s.cause.message !== s.message ? ` (cause: ${s.cause.message})` : "";
  return `${s.type}: ${s.message}${cause}`;
}
