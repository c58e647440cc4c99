/**
 * Turns the platform's errors into what a person needs: one plain sentence, the field violations
 * keyed by field path (shown beside their inputs), and when to try again. The platform sends a
 * canonical code plus google.rpc details (ErrorInfo with a reason and metadata, BadRequest, RetryInfo);
 * Connect decodes them for us (`findDetails`), so this reads structured data, never message text.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "../gen/google/rpc/error_details_pb.js";
import { formatDateTime } from "../lib/format.js";

/** An error ready to show. */
export interface Problem {
  readonly code: Code;
  /** ErrorInfo.reason (e.g. SEATS_UNAVAILABLE), or "" when the server sent none. */
  readonly reason: string;
  readonly metadata: Readonly<Record<string, string>>;
  /** One or two plain sentences. */
  readonly message: string;
  /** Field path (proto names, e.g. `venue.sections[0].name`) → what is wrong with it. */
  readonly fields: Readonly<Record<string, string>>;
  /** From RetryInfo: how long to wait before trying again. */
  readonly retryAfterMs: number | undefined;
}

/** What the page knows that turns ids in error metadata into names. */
export interface ProblemContext {
  /** Name of a venue section by id, e.g. "Stalls". */
  sectionName?(sectionId: string): string | undefined;
  /** True when the section is general admission (places, not seats). */
  isGeneralAdmission?(sectionId: string): boolean;
  /** The event's time zone for times in messages. */
  timeZone?: string;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** "in 5 seconds", "in 2 minutes". */
export function inTime(ms: number): string {
  const s = Math.max(1, Math.ceil(ms / 1000));
  if (s < 90) return `in ${plural(s, "second", "seconds")}`;
  return `in ${plural(Math.ceil(s / 60), "minute", "minutes")}`;
}

/** Reads a caught value (ConnectError or anything else) into a {@link Problem}. */
export function problemOf(err: unknown, ctx: ProblemContext = {}): Problem {
  const ce = ConnectError.from(err);
  const info = ce.findDetails(ErrorInfoSchema)[0];
  const badRequest = ce.findDetails(BadRequestSchema)[0];
  const retry = ce.findDetails(RetryInfoSchema)[0];
  const fields: Record<string, string> = {};
  for (const v of badRequest?.fieldViolations ?? []) {
    fields[v.field] = fields[v.field] === undefined ? v.description : `${fields[v.field]}; ${v.description}`;
  }
  const retryAfterMs =
    retry?.retryDelay !== undefined
      ? Number(retry.retryDelay.seconds) * 1000 + Math.round(retry.retryDelay.nanos / 1e6)
      : undefined;
  const reason = info?.reason ?? "";
  const metadata = info?.metadata ?? {};
  const base = { code: ce.code, reason, metadata, fields, retryAfterMs };
  return { ...base, message: sentence(ce, base, ctx) };
}

function sentence(ce: ConnectError, p: Omit<Problem, "message">, ctx: ProblemContext): string {
  const m = p.metadata;
  switch (p.reason) {
    case "SEATS_UNAVAILABLE": {
      const left = Number(m.available ?? "0");
      const id = m.section_id ?? "";
      const where = ctx.sectionName?.(id) ?? "this section";
      const unit = ctx.isGeneralAdmission?.(id) ? ["place", "places"] : ["seat", "seats"];
      const what = left === 0 ? `No ${unit[1]}` : plural(left, unit[0] ?? "", unit[1] ?? "");
      return `${what} left in ${where}. Someone else got there first; please choose again.`;
    }
    case "SALES_CLOSED":
      if (m.why === "NOT_OPEN_YET") return "Sales for this event have not opened yet.";
      if (m.why === "CANCELLED") return "This event was cancelled; nothing can be bought.";
      return "Sales for this event have closed.";
    case "HOLD_NOT_ACTIVE":
      return m.state === "CONVERTED"
        ? "These seats are already in an order."
        : "Your hold has ended (it expired or was released). Please choose your seats again.";
    case "PAYMENT_UNAVAILABLE":
      return "We could not reach the payment provider, and nothing was charged. Your seats are kept: press Pay again in a moment.";
    case "BUYER_LIMIT_REACHED":
      return `You can buy at most ${m.limit ?? "a limited number of"} tickets for this event; ${m.remaining ?? "no"} more allowed.`;
    case "ALREADY_CHECKED_IN": {
      const at = m.first_check_in_time;
      return at ? `Already checked in at ${formatDateTime(at, ctx.timeZone)}.` : "Already checked in.";
    }
    case "TICKET_VOID":
      return "This ticket is void (its order or the event was cancelled).";
    case "INVALID_CREDENTIALS":
      return "That email and password do not match an account.";
    case "EMAIL_TAKEN":
      return "An account with this email already exists. Sign in instead?";
    case "LOGIN_THROTTLED":
    case "RATE_LIMITED":
      return `Too many attempts. Try again ${inTime(p.retryAfterMs ?? 60_000)}.`;
    case "REVISION_MISMATCH":
      return "Someone else changed this event meanwhile. Reload it and make your change again.";
    case "MISSING_PRICES":
      return "Every section needs a price before the event can be published.";
    case "SALES_WINDOW_MISSING":
      return "Set when sales open and close before publishing.";
    case "EVENT_IN_PAST":
      return "The event has already started; it can no longer be published.";
  }
  switch (p.code) {
    case Code.InvalidArgument:
      return Object.keys(p.fields).length > 0
        ? "Some details need fixing; see the marked fields."
        : `The request was not accepted: ${ce.rawMessage}`;
    case Code.Unauthenticated:
      return "Please sign in again.";
    case Code.PermissionDenied:
      return "Your account may not do this.";
    case Code.NotFound:
      return "Not found: it may have been removed, or belong to someone else.";
    case Code.ResourceExhausted:
      return `Boxoffice is very busy right now. Try again ${inTime(p.retryAfterMs ?? 5_000)}.`;
    case Code.Unavailable:
      return p.retryAfterMs !== undefined
        ? `Boxoffice cannot be reached right now. Try again ${inTime(p.retryAfterMs)}.`
        : "Boxoffice cannot be reached right now. Check your connection and try again.";
    case Code.DeadlineExceeded:
      return "That took too long. Please try again.";
    case Code.Unimplemented:
      return "This part of Boxoffice is not available yet.";
    case Code.FailedPrecondition:
    case Code.Aborted:
      return ce.rawMessage ? capitalise(ce.rawMessage) : "That cannot be done right now.";
    case Code.Canceled:
      return "Cancelled.";
    default:
      return "Something went wrong on our side. Please try again.";
  }
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1) + (/[.!?]$/.test(s) ? "" : ".");

/** True for errors worth retrying automatically (the call may succeed if repeated later). */
export function isTransient(err: unknown): boolean {
  const code = ConnectError.from(err).code;
  return (
    code === Code.Unavailable ||
    code === Code.ResourceExhausted ||
    code === Code.DeadlineExceeded ||
    code === Code.Unknown
  );
}

/** A problem found in the browser (nothing was sent), shown like the server's. */
export function localProblem(message: string, fields: Record<string, string> = {}): Problem {
  return { code: Code.InvalidArgument, reason: "", metadata: {}, message, fields, retryAfterMs: undefined };
}
