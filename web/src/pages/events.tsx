/** The events on sale, searchable by name and city; the search lives in the URL (reload, share, back). */
import { useState } from "preact/hooks";
import { eventClient } from "../api/clients.js";
import { ErrorSummary, Field } from "../components/form.js";
import { Loading, PageHeading } from "../components/page.js";
import type { Event as BoxEvent } from "../gen/boxoffice/event/v1/event_pb.js";
import { formatDateTime, formatMoney } from "../lib/format.js";
import { useCall } from "../lib/use-call.js";
import { Link, location, navigate } from "../router.js";

const PAGE = 24;

/** The cheapest price tier of an event, as "from €25.00". */
function fromPrice(e: BoxEvent): string {
  const prices = e.priceTiers.flatMap((t) => (t.price ? [t.price] : []));
  if (prices.length === 0) return "";
  const min = prices.reduce((a, b) => (b.amountMinor < a.amountMinor ? b : a));
  return `from ${formatMoney(min)}`;
}

export function EventCard(props: { event: BoxEvent; href?: string }) {
  const e = props.event;
  return (
    <li class="card event-card">
      <h2 class="card-title">
        <Link href={props.href ?? `/events/${e.id}`}>{e.name}</Link>
      </h2>
      <p class="meta">
        <time dateTime={e.startTime ? new Date(Number(e.startTime.seconds) * 1000).toISOString() : undefined}>
          {formatDateTime(e.startTime, e.timeZone)}
        </time>
        {" · "}
        {e.city}
      </p>
      {fromPrice(e) && <p class="price">{fromPrice(e)}</p>}
    </li>
  );
}

export function EventsPage() {
  const q = location.value.query;
  const query = q.get("q") ?? "";
  const city = q.get("city") ?? "";
  const [draftQuery, setDraftQuery] = useState(query);
  const [draftCity, setDraftCity] = useState(city);
  const [more, setMore] = useState<{ events: BoxEvent[]; token: string } | undefined>();
  const list = useCall(
    async (signal) => {
      setMore(undefined);
      return eventClient.listEvents({ query, city, pageSize: PAGE }, { signal });
    },
    [query, city],
  );
  const events = [...(list.data?.events ?? []), ...(more?.events ?? [])];
  const nextToken = more ? more.token : (list.data?.nextPageToken ?? "");
  const search = (e: Event) => {
    e.preventDefault();
    const params = new URLSearchParams();
    if (draftQuery.trim()) params.set("q", draftQuery.trim());
    if (draftCity.trim()) params.set("city", draftCity.trim());
    navigate(`/${params.size ? `?${params}` : ""}`);
  };
  const loadMore = async () => {
    const res = await eventClient.listEvents({ query, city, pageSize: PAGE, pageToken: nextToken });
    setMore({ events: [...(more?.events ?? []), ...res.events], token: res.nextPageToken });
  };
  return (
    <section>
      <PageHeading title="Events on sale" />
      <search>
        <form class="search" onSubmit={search}>
          <Field
            id="search-query"
            label="Event name or description"
            type="search"
            value={draftQuery}
            onValue={setDraftQuery}
          />
          <Field id="search-city" label="City" autoComplete="address-level2" value={draftCity} onValue={setDraftCity} />
          <button type="submit">Search</button>
        </form>
      </search>
      <ErrorSummary problem={list.problem} title="The events could not be loaded" fieldIds={{}} />
      {list.loading ? (
        <Loading what="events" />
      ) : (
        <>
          <p role="status" class="result-count">
            {events.length === 0
              ? query || city
                ? "No events match your search."
                : "No events are on sale right now."
              : `${events.length}${nextToken ? "+" : ""} ${events.length === 1 ? "event" : "events"}${query || city ? " match your search" : ""}.`}
          </p>
          <ul class="cards" data-testid="event-list">
            {events.map((e) => (
              <EventCard key={e.id} event={e} />
            ))}
          </ul>
          {nextToken && (
            <button type="button" onClick={loadMore}>
              More events
            </button>
          )}
        </>
      )}
    </section>
  );
}
