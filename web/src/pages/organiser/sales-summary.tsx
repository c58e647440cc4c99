/** What an event has sold so far, per section (TicketService.GetSalesSummary), for its organiser. */
import { Code } from "@connectrpc/connect";
import { ticketClient } from "../../api/clients.js";
import type { Event } from "../../gen/boxoffice/event/v1/event_pb.js";
import { formatDateTime, formatMoney } from "../../lib/format.js";
import { useCall } from "../../lib/use-call.js";

export function SalesSummaryPanel(props: { event: Event; sectionName(id: string): string | undefined }) {
  const sales = useCall(
    (signal) => ticketClient.getSalesSummary({ eventId: props.event.id }, { signal }),
    [props.event.id],
  );
  const s = sales.data?.summary;
  return (
    <section class="panel" aria-labelledby="sales-heading">
      <h2 id="sales-heading">Sales</h2>
      {sales.problem && (
        <p>
          {sales.problem.code === Code.Unimplemented
            ? "Sales figures are not available yet."
            : `Sales figures could not be loaded: ${sales.problem.message}`}
        </p>
      )}
      {s && (
        <div class="table-scroll">
          <table class="figures">
            <caption>
              As of {formatDateTime(s.readTime, props.event.timeZone)} · revenue {formatMoney(s.revenue)}
            </caption>
            <thead>
              <tr>
                <th scope="col">Section</th>
                <th scope="col">Sold</th>
                <th scope="col">Held</th>
                <th scope="col">For sale</th>
                <th scope="col">Checked in</th>
                <th scope="col">Revenue</th>
              </tr>
            </thead>
            <tbody>
              {s.sections.map((x) => (
                <tr key={x.sectionId}>
                  <th scope="row">{props.sectionName(x.sectionId) ?? "Section"}</th>
                  <td>{x.sold}</td>
                  <td>{x.held}</td>
                  <td>{x.available}</td>
                  <td>{x.checkedIn}</td>
                  <td>{formatMoney(x.revenue)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
