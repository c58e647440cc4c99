/** The buyer's orders, newest first. */
import { useEffect, useState } from "preact/hooks";
import { ticketClient } from "../api/clients.js";
import { ErrorSummary } from "../components/form.js";
import { Loading, PageHeading } from "../components/page.js";
import { OrderState } from "../gen/boxoffice/ticket/v1/order_pb.js";
import { type EventInfo, eventInfo } from "../lib/event-info.js";
import { formatDateTime, formatMoney } from "../lib/format.js";
import { useCall } from "../lib/use-call.js";
import { Link } from "../router.js";
import { orderStateText } from "./order.js";

export function OrdersPage() {
  const list = useCall((signal) => ticketClient.listOrders({ pageSize: 50 }, { signal }), []);
  const [infos, setInfos] = useState<Map<string, EventInfo>>(new Map());
  useEffect(() => {
    const ids = [...new Set((list.data?.orders ?? []).map((o) => o.eventId))];
    void Promise.all(ids.map(async (id) => [id, await eventInfo(id)] as const)).then(
      (pairs) => setInfos(new Map(pairs)),
      () => undefined,
    );
  }, [list.data]);
  return (
    <section>
      <PageHeading title="My orders" />
      <ErrorSummary problem={list.problem} title="Your orders could not be loaded" />
      {list.loading && <Loading what="your orders" />}
      {list.data && list.data.orders.length === 0 && (
        <p>
          No orders yet. <Link href="/">Find an event</Link>.
        </p>
      )}
      <ul class="cards" data-testid="orders">
        {list.data?.orders.map((o) => (
          <li key={o.id} class="card">
            <h2 class="card-title">
              <Link href={`/orders/${o.id}`}>{infos.get(o.eventId)?.name ?? "Order"}</Link>
            </h2>
            <p class={`badge badge--order-${OrderState[o.state].toLowerCase()}`}>{orderStateText[o.state]}</p>
            <p class="meta">
              {o.lines.reduce((n, l) => n + l.quantity, 0)} places · {formatMoney(o.total)} ·{" "}
              {formatDateTime(o.createTime, infos.get(o.eventId)?.timeZone)}
            </p>
          </li>
        ))}
      </ul>
    </section>
  );
}
