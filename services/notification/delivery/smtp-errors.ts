/**
 * Sorting nodemailer's errors into the sender's outcomes. RFC 5321: a 5yz reply is permanent, a
 * 4yz reply transient. nodemailer marks replies itself (`permanent`; 503 — bad command sequence —
 * counts as transient there); errors without a reply are about the way to the server and always
 * transient: a refused connection, a timeout, a closed socket, DNS, TLS, or wrong credentials (a
 * configuration mistake must not fail every queued message for good: they wait until it is fixed).
 */
import type { DeliveryResult } from "./channel.js";

type SmtpError = Error & {
  code?: string;
  responseCode?: number;
  permanent?: boolean;
  response?: string;
  originalCode?: string;
};

/** Errors with no SMTP reply that still say the message itself can never go (bad address, bad content). */
const PERMANENT_CODES = new Set(["EENVELOPE", "EMESSAGE", "EMAXRECIPIENTS"]);
/** Errors about the connection, not this message: they pause the channel. */
const CONNECTION_CODES = new Set(["ECONNECTION", "ETIMEDOUT", "ESOCKET", "EDNS", "ETLS", "EPROXY", "EAUTH", "ENOAUTH"]);

/** Cuts what is stored and logged, and never lets credentials of a URL through. */
export const redact = (s: string): string => s.replace(/\/\/[^@/\s]*@/g, "//***@").slice(0, 900);

export function classifySmtpError(e: unknown): Extract<DeliveryResult, { ok: false }> {
  const err = (e instanceof Error ? e : new Error(String(e))) as SmtpError;
  const code = err.code ?? "";
  const detail = redact(
    [code, err.responseCode, err.response ?? err.message].filter((x) => x !== undefined && x !== "").join(" "),
  );
  if (typeof err.responseCode === "number" && err.responseCode >= 400) {
    const permanent = err.permanent ?? (err.responseCode >= 500 && err.responseCode !== 503);
    // 421: the server is closing the connection (overloaded, shutting down): not this message
    return { ok: false, permanent, connection: err.responseCode === 421, detail };
  }
  if (PERMANENT_CODES.has(code)) return { ok: false, permanent: true, connection: false, detail };
  return { ok: false, permanent: false, connection: CONNECTION_CODES.has(code) || code === "", detail };
}
