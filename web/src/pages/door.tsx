/**
 * The door: scan or type a ticket's code; the answer is big and unambiguous — VALID (admit),
 * ALREADY CHECKED IN (with the first scan's time), or REFUSED (why). The code field keeps focus, so
 * a USB/Bluetooth scanner that "types" the code and Enter works without touching the screen.
 */
import { Code } from "@connectrpc/connect";
import { useRef, useState } from "preact/hooks";
import { ticketClient } from "../api/clients.js";
import { problemOf } from "../api/errors.js";
import { newRequestId } from "../api/ids.js";
import { Field } from "../components/form.js";
import { placeText } from "../components/hold-panel.js";
import { PageHeading } from "../components/page.js";
import { eventInfo } from "../lib/event-info.js";
import { formatDateTime } from "../lib/format.js";
import { useCall } from "../lib/use-call.js";
import { Link } from "../router.js";

type Verdict =
  | { kind: "valid"; place: string; at: string }
  | { kind: "already"; place: string; firstAt: string }
  | { kind: "refused"; why: string };

const titles = { valid: "VALID", already: "ALREADY CHECKED IN", refused: "REFUSED" } as const;

export function DoorPage(props: { eventId: string }) {
  const info = useCall(() => eventInfo(props.eventId), [props.eventId]);
  const [code, setCode] = useState("");
  const [busy, setBusy] = useState(false);
  const [verdict, setVerdict] = useState<Verdict | undefined>();
  const [log, setLog] = useState<Array<Verdict & { n: number }>>([]);
  const input = useRef<HTMLFormElement>(null);
  const tz = info.data?.timeZone;
  const section = (id: string) => info.data?.sections.get(id);

  const check = async (e: Event) => {
    e.preventDefault();
    const scanned = code.trim();
    if (!scanned) return;
    setBusy(true);
    let v: Verdict;
    try {
      // a new request id per scan: a repeat with the same id would replay the first answer (VALID)
      const { ticket } = await ticketClient.checkIn({
        requestId: newRequestId(),
        eventId: props.eventId,
        code: scanned,
      });
      v = {
        kind: "valid",
        // the ticket names its section; the layout (loaded beside) only for an older answer without it
        place: ticket
          ? placeText(ticket.sectionName || section(ticket.sectionId), ticket.rowLabel, ticket.seatLabel)
          : "",
        at: formatDateTime(ticket?.checkInTime ?? new Date(), tz),
      };
    } catch (err) {
      v = await refusal(err, tz, section);
    }
    setVerdict(v);
    setLog((l) => [{ ...v, n: (l[0]?.n ?? 0) + 1 }, ...l].slice(0, 20));
    setCode("");
    setBusy(false);
    input.current?.querySelector("input")?.focus();
  };
  return (
    <section class="narrow">
      <PageHeading title={info.data ? `Door: ${info.data.name}` : "Door"} />
      <form ref={input} onSubmit={check} class="door-form">
        <Field
          id="ticket-code"
          label="Ticket code"
          hint="Scan the QR code, or type the code under it."
          autoComplete="off"
          autoFocus
          spellcheck={false}
          value={code}
          onValue={setCode}
        />
        <button type="submit" class="primary" disabled={busy || code.trim() === ""}>
          {busy ? "Checking…" : "Check in"}
        </button>
      </form>
      {verdict && (
        <div class={`verdict verdict--${verdict.kind}`} role="alert" data-testid="verdict">
          <p class="verdict-title">{titles[verdict.kind]}</p>
          <p>
            {verdict.kind === "valid" && `Admit: ${verdict.place}. Checked in ${verdict.at}.`}
            {verdict.kind === "already" &&
              `${verdict.place ? `${verdict.place}. ` : ""}First scanned ${verdict.firstAt}. Do not admit again.`}
            {verdict.kind === "refused" && verdict.why}
          </p>
        </div>
      )}
      {log.length > 0 && (
        <section aria-labelledby="log-heading">
          <h2 id="log-heading">Recent scans</h2>
          <ol class="scan-log" reversed>
            {log.map((v) => (
              <li key={v.n}>
                <strong>{titles[v.kind]}</strong> {v.kind === "refused" ? v.why : v.place}
              </li>
            ))}
          </ol>
        </section>
      )}
      <p>
        <Link href="/organiser">Back to your events</Link>
      </p>
    </section>
  );
}

/** Why a code was not admitted; for a second scan, when the first one was. */
async function refusal(
  err: unknown,
  tz: string | undefined,
  section: (id: string) => string | undefined,
): Promise<Verdict> {
  const p = problemOf(err, { timeZone: tz });
  if (p.reason === "ALREADY_CHECKED_IN") {
    let firstAt = p.metadata.first_check_in_time ? formatDateTime(p.metadata.first_check_in_time, tz) : "";
    let place = "";
    const ticketId = p.metadata.ticket_id;
    if (ticketId) {
      // the organiser may read the ticket (without its code): its check-in time and place
      try {
        const { ticket } = await ticketClient.getTicket({ ticketId });
        if (ticket?.checkInTime) firstAt = formatDateTime(ticket.checkInTime, tz);
        if (ticket)
          place = placeText(ticket.sectionName || section(ticket.sectionId), ticket.rowLabel, ticket.seatLabel);
      } catch {
        // keep what the error said
      }
    }
    return { kind: "already", place, firstAt: firstAt ? `at ${firstAt}` : "earlier" };
  }
  if (p.code === Code.NotFound) return { kind: "refused", why: "No ticket for this event has this code." };
  // MALFORMED_CODE (a field violation on `code`): not one of ours at all; there is no field to mark here
  if (p.code === Code.InvalidArgument) return { kind: "refused", why: "This is not a Boxoffice ticket code." };
  if (p.reason === "TICKET_VOID")
    return { kind: "refused", why: "This ticket is void (its order or the event was cancelled)." };
  if (p.code === Code.PermissionDenied)
    return { kind: "refused", why: "Your account may not check tickets in for this event." };
  return { kind: "refused", why: p.message };
}
