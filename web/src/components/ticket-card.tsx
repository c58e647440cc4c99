/** One ticket: where it admits to, its state, and its check-in code as a QR code (plus the code as text). */
import { type Ticket, TicketState } from "../gen/boxoffice/ticket/v1/ticket_pb.js";
import { formatDateTime } from "../lib/format.js";
import { placeText } from "./hold-panel.js";
import { QrCode } from "./qr-code.js";

const stateText: Record<TicketState, string> = {
  [TicketState.UNSPECIFIED]: "",
  [TicketState.VALID]: "Valid",
  [TicketState.CHECKED_IN]: "Checked in",
  [TicketState.VOID]: "Void",
};

export function TicketCard(props: { ticket: Ticket; eventName?: string; sectionName?: string; timeZone?: string }) {
  const t = props.ticket;
  const place = placeText(props.sectionName, t.rowLabel, t.seatLabel);
  return (
    <li class="card ticket" data-testid="ticket">
      <h3 class="card-title">{props.eventName ?? "Ticket"}</h3>
      <p>{place}</p>
      <p class={`badge badge--${TicketState[t.state].toLowerCase()}`}>
        {stateText[t.state]}
        {t.state === TicketState.CHECKED_IN && t.checkInTime
          ? ` at ${formatDateTime(t.checkInTime, props.timeZone)}`
          : ""}
      </p>
      {t.code && t.state === TicketState.VALID && (
        <>
          <QrCode value={t.code} label={`QR code of the ticket for ${place}`} />
          <details>
            <summary>Show the code as text</summary>
            <code class="ticket-code" data-testid="ticket-code">
              {t.code}
            </code>
          </details>
        </>
      )}
    </li>
  );
}
