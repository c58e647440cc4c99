/**
 * An event: its summary, the sections with live counts and prices, the seat map of the chosen
 * reserved section (live seat states), "best available" and general-admission quantities, and the
 * buyer's hold. Choosing places needs no account; holding them does.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { useEffect, useMemo, useState } from "preact/hooks";
import { eventClient, ticketClient } from "../api/clients.js";
import { type Problem, problemOf } from "../api/errors.js";
import { newRequestId } from "../api/ids.js";
import { currentUser } from "../api/session.js";
import { ErrorSummary, Notice } from "../components/form.js";
import { HoldPanel } from "../components/hold-panel.js";
import { Loading, PageHeading } from "../components/page.js";
import { SeatMap } from "../components/seat-map.js";
import { SectionPicker } from "../components/section-picker.js";
import { type Event, EventState } from "../gen/boxoffice/event/v1/event_pb.js";
import { type Venue, VenueView } from "../gen/boxoffice/event/v1/venue_pb.js";
import type { HoldItemSchema } from "../gen/boxoffice/ticket/v1/hold_pb.js";
import { formatDateTime, formatMoney } from "../lib/format.js";
import { activeHoldFor, saveHold } from "../lib/purchase.js";
import { seatKey } from "../lib/seats.js";
import { SeatState, useAvailability } from "../lib/use-availability.js";
import { useCall } from "../lib/use-call.js";
import { navigate } from "../router.js";
import { AvailabilityStatus } from "./event-status.js";

type HoldItemInit = NonNullable<MessageInitShape<typeof HoldItemSchema>["kind"]>;

export function EventPage(props: { eventId: string }) {
  const page = useCall(
    async (signal) => {
      const { event } = await eventClient.getEvent({ eventId: props.eventId }, { signal });
      if (!event) throw new Error("no event in the answer");
      const { venue } = await eventClient.getVenue({ venueId: event.venueId, view: VenueView.FULL }, { signal });
      return { event, venue };
    },
    [props.eventId],
  );
  if (page.loading && !page.data) return <Loading what="the event" />;
  if (!page.data) {
    return (
      <section>
        <PageHeading title="Event unavailable" />
        <ErrorSummary problem={page.problem} title="This event could not be loaded" />
      </section>
    );
  }
  return <EventView {...page.data} />;
}

function EventView(props: { event: Event; venue: Venue | undefined }) {
  const { event, venue } = props;
  const sections = venue?.sections ?? [];
  const [sectionId, setSectionId] = useState(sections[0]?.id ?? "");
  const section = sections.find((s) => s.id === sectionId);
  const reserved = section?.kind.case === "reservedSeating";
  const published = event.state === EventState.PUBLISHED;
  const live = useAvailability(event.id, reserved ? sectionId : "", published);
  const user = currentUser.value;
  const [chosen, setChosen] = useState<Map<string, Set<string>>>(new Map());
  const [gaQty, setGaQty] = useState<Map<string, number>>(new Map());
  const [bestQty, setBestQty] = useState(2);
  const [hold, setHold] = useState(() => (user ? activeHoldFor(user.id, event.id) : undefined));
  const [problem, setProblem] = useState<Problem | undefined>();
  const [note, setNote] = useState("");
  const [taken, setTaken] = useState("");
  const [busy, setBusy] = useState(false);
  const max = event.maxTicketsPerOrder || 10;
  const priceOf = (id: string) => event.priceTiers.find((t) => t.sectionId === id)?.price;
  const nameOf = (id: string) => sections.find((s) => s.id === id)?.name;
  const ctx = {
    sectionName: nameOf,
    isGeneralAdmission: (id: string) => sections.find((s) => s.id === id)?.kind.case === "generalAdmission",
    timeZone: event.timeZone,
  };
  const seatsKnown = live.seatsOf === sectionId && live.seats.size > 0;
  const stateOf = (row: string, seat: string) => (seatsKnown ? live.seats.get(seatKey(row, seat)) : undefined);
  const yours = useMemo(() => {
    const s = new Set<string>();
    for (const item of hold?.items ?? []) {
      if (item.kind.case === "seat" && item.kind.value.sectionId === sectionId)
        s.add(seatKey(item.kind.value.rowLabel, item.kind.value.seatLabel));
    }
    return s;
  }, [hold, sectionId]);

  // a chosen seat that someone else holds or buys meanwhile leaves the basket, and the buyer is told
  useEffect(() => {
    const mine = chosen.get(sectionId);
    if (!seatsKnown || !mine || mine.size === 0) return;
    const gone = [...mine].filter((k) => live.seats.get(k) !== SeatState.AVAILABLE);
    if (gone.length === 0) return;
    setChosen(new Map(chosen).set(sectionId, new Set([...mine].filter((k) => !gone.includes(k)))));
    const names = gone.map((k) => k.replace("\u0000", ", seat ")).map((k) => `row ${k}`);
    setTaken(`${capitalise(names.join(" and "))} ${gone.length === 1 ? "was" : "were"} just taken by another buyer.`);
  }, [live.seats]);

  const count = [...chosen.values()].reduce((n, s) => n + s.size, 0) + [...gaQty.values()].reduce((n, q) => n + q, 0);
  const total = [...chosen.entries(), ...[...gaQty.entries()].map(([id, q]) => [id, { size: q }] as const)].reduce(
    (sum, [id, s]) => sum + (priceOf(id)?.amountMinor ?? 0n) * BigInt(s.size),
    0n,
  );
  const currency = event.priceTiers[0]?.price?.currencyCode ?? "";

  const toggle = (row: string, seat: string) => {
    const next = new Map(chosen);
    const set = new Set(next.get(sectionId) ?? []);
    const k = seatKey(row, seat);
    if (set.has(k)) set.delete(k);
    else if (count >= max) return setNote(`You can choose at most ${max} places per order.`);
    else set.add(k);
    next.set(sectionId, set);
    setChosen(next);
    setNote(`${set.has(k) ? "Chose" : "Removed"} row ${row}, seat ${seat}. ${count + (set.has(k) ? 1 : -1)} chosen.`);
  };

  const hold_ = async (items: HoldItemInit[]) => {
    if (!user) return navigate(`/sign-in?next=${encodeURIComponent(`/events/${event.id}`)}`);
    setBusy(true);
    setProblem(undefined);
    try {
      const res = await ticketClient.holdSeats({
        requestId: newRequestId(),
        eventId: event.id,
        items: items.map((kind) => ({ kind })),
      });
      if (!res.hold) throw new Error("no hold in the answer");
      saveHold(user.id, res.hold);
      setHold(res.hold);
      setChosen(new Map());
      setGaQty(new Map());
      navigate(`/checkout/${res.hold.id}`);
    } catch (e) {
      setProblem(problemOf(e, ctx));
    } finally {
      setBusy(false);
    }
  };
  const holdChosen = () => {
    const items: HoldItemInit[] = [];
    for (const [sid, keys] of chosen) {
      for (const k of keys) {
        const [rowLabel = "", seatLabel = ""] = k.split("\u0000");
        items.push({ case: "seat", value: { sectionId: sid, rowLabel, seatLabel } });
      }
    }
    for (const [sid, quantity] of gaQty) {
      if (quantity > 0) items.push({ case: "generalAdmission", value: { sectionId: sid, quantity } });
    }
    void hold_(items);
  };
  // the service chooses: adjacent seats in one row first, no single seat left stranded
  const holdBest = () => void hold_([{ case: "bestAvailable", value: { sectionId, quantity: bestQty } }]);

  const availabilityUsable = published && live.problem === undefined && live.onSale === true;
  return (
    <article class="event">
      <PageHeading title={event.name} />
      <p class="meta">
        {formatDateTime(event.startTime, event.timeZone)} · {venue?.name}, {event.city}
      </p>
      {event.state === EventState.CANCELLED && (
        <Notice kind="warning">This event was cancelled: {event.cancelReason}</Notice>
      )}
      {event.state === EventState.DRAFT && (
        <Notice kind="info">This is a draft: only you can see it. Publish it to sell tickets.</Notice>
      )}
      {event.description && <p class="description">{event.description}</p>}
      {hold && <HoldPanel hold={hold} sectionName={nameOf} onGone={() => setHold(undefined)} />}
      {published && <AvailabilityStatus live={live} event={event} />}
      <ErrorSummary problem={problem} title="Those places could not be held" />
      {taken && (
        <Notice kind="warning" testId="seat-taken">
          {taken}
        </Notice>
      )}
      <SectionPicker
        sections={sections}
        selected={sectionId}
        onSelect={setSectionId}
        priceOf={priceOf}
        live={live.sections}
      />
      {section && reserved && (
        <section aria-labelledby="seats-heading" class="panel">
          <h2 id="seats-heading">
            {section.name} · {formatMoney(priceOf(section.id))} per seat
          </h2>
          <SeatMap
            section={section}
            stateOf={stateOf}
            isSelected={(r, s) => chosen.get(sectionId)?.has(seatKey(r, s)) ?? false}
            isYours={(r, s) => yours.has(seatKey(r, s))}
            onToggle={(r, s) => (availabilityUsable ? toggle(r, s) : undefined)}
            price={formatMoney(priceOf(section.id))}
          />
          <form
            class="inline-form"
            onSubmit={(e) => {
              e.preventDefault();
              holdBest();
            }}
          >
            <label for="best-qty">Best available seats together</label>
            <input
              id="best-qty"
              type="number"
              min={1}
              max={max}
              value={bestQty}
              onInput={(e) => setBestQty(Number(e.currentTarget.value) || 1)}
            />
            <button type="submit" disabled={busy || !availabilityUsable}>
              Find and hold
            </button>
          </form>
        </section>
      )}
      {section && !reserved && (
        <section aria-labelledby="ga-heading" class="panel">
          <h2 id="ga-heading">
            {section.name} · {formatMoney(priceOf(section.id))} per place (standing, no seat numbers)
          </h2>
          <label for="ga-qty">Number of places</label>
          <input
            id="ga-qty"
            type="number"
            min={0}
            max={max}
            value={gaQty.get(sectionId) ?? 0}
            disabled={!availabilityUsable}
            onInput={(e) =>
              setGaQty(new Map(gaQty).set(sectionId, Math.max(0, Math.min(max, Number(e.currentTarget.value) || 0))))
            }
          />
        </section>
      )}
      <p class="visually-hidden" aria-live="polite">
        {note}
      </p>
      <div class="basket" data-testid="basket">
        <p>
          {count === 0
            ? "Nothing chosen yet."
            : `${count} ${count === 1 ? "place" : "places"} · ${formatMoney({ currencyCode: currency, amountMinor: total })}`}
        </p>
        <button
          type="button"
          class="primary"
          disabled={count === 0 || busy || !availabilityUsable}
          onClick={holdChosen}
        >
          {busy ? "Holding…" : user ? "Hold these places" : "Sign in to hold"}
        </button>
      </div>
    </article>
  );
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
