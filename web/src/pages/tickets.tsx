/**
 * The buyer's tickets with their QR codes (ListTickets, newest first, paged), each with its
 * event's name and its place.
 */
import { ticketClient } from "../api/clients.js";
import { ErrorSummary } from "../components/form.js";
import { Loading, PageHeading } from "../components/page.js";
import { TicketCard } from "../components/ticket-card.js";
import type { Ticket } from "../gen/boxoffice/ticket/v1/ticket_pb.js";
import { type EventInfo, eventInfo } from "../lib/event-info.js";
import { useCall } from "../lib/use-call.js";
import { Link } from "../router.js";

async function loadTickets(signal: AbortSignal): Promise<Array<{ ticket: Ticket; info: EventInfo | undefined }>> {
  const tickets: Ticket[] = [];
  let pageToken = "";
  do {
    const res = await ticketClient.listTickets({ pageSize: 100, pageToken }, { signal });
    tickets.push(...res.tickets);
    pageToken = res.nextPageToken;
  } while (pageToken !== "" && tickets.length < 1000);
  return Promise.all(
    tickets.map(async (ticket) => ({ ticket, info: await eventInfo(ticket.eventId).catch(() => undefined) })),
  );
}

export function TicketsPage() {
  const list = useCall(loadTickets, []);
  return (
    <section>
      <PageHeading title="My tickets" />
      <ErrorSummary problem={list.problem} title="Your tickets could not be loaded" />
      {list.loading && <Loading what="your tickets" />}
      {list.data && list.data.length === 0 && (
        <p>
          No tickets yet. <Link href="/">Find an event</Link>.
        </p>
      )}
      <ul class="cards" data-testid="tickets">
        {list.data?.map(({ ticket, info }) => (
          <TicketCard
            key={ticket.id}
            ticket={ticket}
            eventName={info?.name}
            sectionName={ticket.sectionName || info?.sections.get(ticket.sectionId)}
            timeZone={info?.timeZone}
          />
        ))}
      </ul>
    </section>
  );
}
