/**
 * The buyer's tickets with their QR codes. The contract has no ListTickets yet, so the tickets are
 * gathered from the confirmed orders (ListOrders) and read one by one (GetTicket); see web/README.md.
 */
import { ticketClient } from "../api/clients.js";
import { ErrorSummary } from "../components/form.js";
import { Loading, PageHeading } from "../components/page.js";
import { TicketCard } from "../components/ticket-card.js";
import { OrderState } from "../gen/boxoffice/ticket/v1/order_pb.js";
import type { Ticket } from "../gen/boxoffice/ticket/v1/ticket_pb.js";
import { type EventInfo, eventInfo } from "../lib/event-info.js";
import { useCall } from "../lib/use-call.js";
import { Link } from "../router.js";

async function loadTickets(signal: AbortSignal): Promise<Array<{ ticket: Ticket; info: EventInfo | undefined }>> {
  const { orders } = await ticketClient.listOrders({ pageSize: 100, states: [OrderState.CONFIRMED] }, { signal });
  const ids = orders.flatMap((o) => o.ticketIds);
  const tickets = await Promise.all(
    ids.map(async (ticketId) => (await ticketClient.getTicket({ ticketId }, { signal })).ticket),
  );
  return Promise.all(
    tickets
      .flatMap((t) => (t ? [t] : []))
      .map(async (ticket) => ({ ticket, info: await eventInfo(ticket.eventId).catch(() => undefined) })),
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
            sectionName={info?.sections.get(ticket.sectionId)}
            timeZone={info?.timeZone}
          />
        ))}
      </ul>
    </section>
  );
}
