/**
 * The SMTP sink's control API, shared by the sink process and its clients: a test in another
 * process, `make dev` users with curl, and {@link SmtpSinkControl} here.
 *
 *   GET    /status                                  → SinkStatus
 *   PUT    /fault {"mode":"temporary","count":3}    → the next 3 messages get 451
 *   PUT    /fault {"mode":"permanent"}              → every message gets 554 until DELETE /fault
 *   PUT    /fault {"mode":"timeout","count":1}      → the next message never gets an answer
 *   DELETE /fault                                   → accept again
 *
 * Faults apply at the end of DATA (the message was transferred, the server refuses it), which is
 * where a real relay rejects content and where a client's view of "sent" is decided.
 */
import { z } from "zod";

export const faultSchema = z.strictObject({
  /** temporary: 4xx (default 451); permanent: 5xx (default 554); timeout: no answer at all */
  mode: z.enum(["temporary", "permanent", "timeout"]),
  /** how many messages; omitted = every message until DELETE /fault */
  count: z.number().int().positive().optional(),
  /** the SMTP reply code (4xx for temporary, 5xx for permanent) */
  code: z.number().int().min(400).max(599).optional(),
  message: z.string().max(200).optional(),
});

/** A fault to inject; see the module comment. */
export type Fault = z.infer<typeof faultSchema>;

/** What the sink reports on GET /status. Counters start at 0 with each sink process. */
export interface SinkStatus {
  pid: number;
  smtpPort: number;
  mailDir: string;
  /** messages stored as .eml */
  accepted: number;
  /** messages refused or left unanswered by a fault */
  rejected: number;
  /** the fault in force; `remaining` null = until reset */
  fault: (Fault & { remaining: number | null }) | null;
}

/** Drives a sink through its control URL (from `<sink data dir>/control.json` or the harness). */
export class SmtpSinkControl {
  constructor(readonly controlUrl: string) {}

  status(): Promise<SinkStatus> {
    return this.#call("GET", "/status");
  }

  /** Makes the sink fail as `fault` says, from the next message on. */
  fail(fault: Fault): Promise<SinkStatus> {
    return this.#call("PUT", "/fault", faultSchema.parse(fault));
  }

  /** Accept every message again. */
  reset(): Promise<SinkStatus> {
    return this.#call("DELETE", "/fault");
  }

  async #call(method: string, path: string, body?: unknown): Promise<SinkStatus> {
    const res = await fetch(`${this.controlUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`smtp sink ${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as SinkStatus;
  }
}
