/** An organiser's venues and events (drafts included), with the ways to create, edit and run them. */
import { eventClient } from "../../api/clients.js";
import { currentUser } from "../../api/session.js";
import { ErrorSummary } from "../../components/form.js";
import { Loading, PageHeading } from "../../components/page.js";
import { EventState } from "../../gen/boxoffice/event/v1/event_pb.js";
import { formatDateTime } from "../../lib/format.js";
import { useCall } from "../../lib/use-call.js";
import { Link } from "../../router.js";

export const eventStateText: Record<EventState, string> = {
  [EventState.UNSPECIFIED]: "",
  [EventState.DRAFT]: "Draft",
  [EventState.PUBLISHED]: "Published",
  [EventState.CANCELLED]: "Cancelled",
  [EventState.ENDED]: "Ended",
};

const ALL_STATES = [EventState.DRAFT, EventState.PUBLISHED, EventState.CANCELLED, EventState.ENDED];

export function OrganiserPage() {
  const me = currentUser.value?.id ?? "";
  const data = useCall(
    async (signal) => {
      const [venues, events] = await Promise.all([
        eventClient.listVenues({ organizerId: me, pageSize: 100 }, { signal }),
        eventClient.listEvents({ organizerId: me, states: ALL_STATES, pageSize: 100 }, { signal }),
      ]);
      return { venues: venues.venues, events: events.events };
    },
    [me],
  );
  return (
    <section>
      <PageHeading title="Organiser" />
      <ErrorSummary problem={data.problem} title="Your venues and events could not be loaded" />
      {data.loading && <Loading what="your venues and events" />}
      <section aria-labelledby="events-heading">
        <h2 id="events-heading">Your events</h2>
        <p>
          <Link class="button primary" href="/organiser/events/new">
            New event
          </Link>
        </p>
        {data.data?.events.length === 0 && <p>No events yet.</p>}
        <ul class="cards" data-testid="organiser-events">
          {data.data?.events.map((e) => (
            <li key={e.id} class="card">
              <h3 class="card-title">
                <Link href={`/organiser/events/${e.id}`}>{e.name}</Link>
              </h3>
              <p class={`badge badge--event-${EventState[e.state].toLowerCase()}`}>{eventStateText[e.state]}</p>
              <p class="meta">
                {formatDateTime(e.startTime, e.timeZone)} · {e.city}
              </p>
              <p class="actions">
                <Link href={`/events/${e.id}`}>View</Link>
                {e.state === EventState.PUBLISHED && <Link href={`/door/${e.id}`}>Door</Link>}
              </p>
            </li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="venues-heading">
        <h2 id="venues-heading">Your venues</h2>
        <p>
          <Link class="button" href="/organiser/venues/new">
            New venue
          </Link>
        </p>
        {data.data?.venues.length === 0 && <p>No venues yet: create one before your first event.</p>}
        <ul class="cards">
          {data.data?.venues.map((v) => (
            <li key={v.id} class="card">
              <h3 class="card-title">{v.name}</h3>
              <p class="meta">
                {v.city} · {v.seatCount} places · {v.sections.map((s) => s.name).join(", ")}
              </p>
            </li>
          ))}
        </ul>
      </section>
    </section>
  );
}
