/**
 * Create or edit an event, then publish or cancel it. Times are entered in the venue's time zone.
 * Edits send only the changed fields (update_mask) with the revision that was read, so a concurrent
 * change is refused (ABORTED) instead of overwritten. Layout fields lock once published.
 */
import { useEffect, useState } from "preact/hooks";
import { eventClient } from "../../api/clients.js";
import { localProblem, type Problem, problemOf } from "../../api/errors.js";
import { newRequestId } from "../../api/ids.js";
import { currentUser } from "../../api/session.js";
import { ErrorSummary, Field, Notice, Select } from "../../components/form.js";
import { Loading, PageHeading } from "../../components/page.js";
import { type Event as BoxEvent, EventState } from "../../gen/boxoffice/event/v1/event_pb.js";
import type { Venue } from "../../gen/boxoffice/event/v1/venue_pb.js";
import { useCall } from "../../lib/use-call.js";
import { Link, navigate } from "../../router.js";
import { eventStateText } from "./dashboard.js";
import { CancelEventForm } from "./event-cancel.js";
import { type Draft, draftFromEvent, draftToEvent, emptyDraft, fieldIds, maskOf, priceError } from "./event-draft.js";
import { SalesSummaryPanel } from "./sales-summary.js";

export function EventEditorPage(props: { eventId?: string }) {
  const me = currentUser.value?.id ?? "";
  const loaded = useCall(
    async (signal) => {
      const { venues } = await eventClient.listVenues({ organizerId: me, pageSize: 200 }, { signal });
      const event = props.eventId
        ? (await eventClient.getEvent({ eventId: props.eventId }, { signal })).event
        : undefined;
      return { venues, event };
    },
    [me, props.eventId],
  );
  if (loaded.loading && !loaded.data) return <Loading what="the event" />;
  if (!loaded.data) return <ErrorSummary problem={loaded.problem} title="The event could not be loaded" />;
  return (
    <Editor
      key={loaded.data.event?.revision.toString() ?? "new"}
      venues={loaded.data.venues}
      event={loaded.data.event}
      onSaved={(e) => loaded.set({ ...loaded.data!, event: e })}
    />
  );
}

function Editor(props: { venues: Venue[]; event: BoxEvent | undefined; onSaved(e: BoxEvent): void }) {
  const { venues, event } = props;
  const [draft, setDraft] = useState<Draft>(() => (event ? draftFromEvent(event, venues) : emptyDraft(venues)));
  const [problem, setProblem] = useState<Problem | undefined>();
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState("");
  const venue = venues.find((v) => v.id === draft.venueId);
  const state = event?.state ?? EventState.DRAFT;
  const editable = state === EventState.DRAFT || state === EventState.PUBLISHED;
  const layoutLocked = state !== EventState.DRAFT;
  const set = (change: Partial<Draft>) => setDraft((d) => ({ ...d, ...change }));
  const err = (path: string) => problem?.fields[path];
  useEffect(() => setSaved(""), [draft]);

  const run = async (what: () => Promise<void>) => {
    setBusy(true);
    setProblem(undefined);
    try {
      await what();
    } catch (e) {
      setProblem(problemOf(e));
    } finally {
      setBusy(false);
    }
  };
  const save = (e: Event) => {
    e.preventDefault();
    const built = draftToEvent(draft, venue);
    if ("problem" in built)
      return setProblem(localProblem("Some details need fixing; see the marked fields.", built.problem));
    void run(async () => {
      if (!event) {
        const res = await eventClient.createEvent({ requestId: newRequestId(), event: built.event });
        if (res.event) navigate(`/organiser/events/${res.event.id}`, { replace: true });
        return;
      }
      const paths = maskOf(draftFromEvent(event, venues), draft, layoutLocked);
      if (paths.length === 0) return setSaved("Nothing changed.");
      const res = await eventClient.updateEvent({
        requestId: newRequestId(),
        event: { ...built.event, id: event.id },
        updateMask: { paths },
        expectedRevision: event.revision,
      });
      if (res.event) props.onSaved(res.event);
    });
  };
  const publish = () =>
    void run(async () => {
      const res = await eventClient.publishEvent({ requestId: newRequestId(), eventId: event?.id ?? "" });
      if (res.event) props.onSaved(res.event);
    });

  return (
    <section class="narrow">
      <PageHeading title={event ? `Edit ${event.name}` : "New event"} />
      {event && (
        <p>
          <span class={`badge badge--event-${EventState[state].toLowerCase()}`} data-testid="event-state">
            {eventStateText[state]}
          </span>{" "}
          <Link href={`/events/${event.id}`}>View the event page</Link>
          {state === EventState.PUBLISHED && (
            <>
              {" · "}
              <Link href={`/door/${event.id}`}>Door</Link>
            </>
          )}
        </p>
      )}
      {venues.length === 0 && (
        <Notice kind="warning">
          You have no venue yet. <Link href="/organiser/venues/new">Create a venue</Link> first.
        </Notice>
      )}
      <ErrorSummary problem={problem} fieldIds={fieldIds(venue, draft)} title="The event could not be saved" />
      {saved && <Notice kind="success">{saved}</Notice>}
      <form onSubmit={save} noValidate>
        <Select
          id="event-venue"
          label="Venue"
          value={draft.venueId}
          onValue={(v) => set({ venueId: v })}
          error={err("event.venue_id")}
        >
          {venues.map((v) => (
            <option key={v.id} value={v.id} disabled={layoutLocked && v.id !== draft.venueId}>
              {v.name}, {v.city}
            </option>
          ))}
        </Select>
        <Field
          id="event-name"
          label="Event name"
          value={draft.name}
          onValue={(v) => set({ name: v })}
          error={err("event.name")}
          disabled={!editable}
        />
        <div class="field">
          <label for="event-description">Description</label>
          <textarea
            id="event-description"
            rows={4}
            value={draft.description}
            disabled={!editable}
            onInput={(e) => set({ description: e.currentTarget.value })}
          />
        </div>
        <p class="hint">Times are in the venue's time zone ({venue?.timeZone ?? "choose a venue"}).</p>
        <Field
          id="event-start"
          label="Starts"
          type="datetime-local"
          value={draft.start}
          onValue={(v) => set({ start: v })}
          error={err("event.start_time")}
          disabled={!editable}
        />
        <Field
          id="event-end"
          label="Ends"
          type="datetime-local"
          value={draft.end}
          onValue={(v) => set({ end: v })}
          error={err("event.end_time")}
          disabled={!editable}
        />
        <Field
          id="event-sales-start"
          label="Sales open"
          type="datetime-local"
          value={draft.salesStart}
          onValue={(v) => set({ salesStart: v })}
          error={err("event.sales_start_time")}
          disabled={layoutLocked}
        />
        <Field
          id="event-sales-end"
          label="Sales close"
          type="datetime-local"
          value={draft.salesEnd}
          onValue={(v) => set({ salesEnd: v })}
          error={err("event.sales_end_time")}
          disabled={layoutLocked}
        />
        <Field
          id="event-max"
          label="Most tickets per order"
          type="number"
          inputMode="numeric"
          min={1}
          max={50}
          value={draft.maxTickets}
          onValue={(v) => set({ maxTickets: v })}
          error={err("event.max_tickets_per_order")}
          disabled={layoutLocked}
        />
        <Field
          id="event-max-buyer"
          label="Most tickets per buyer (all orders)"
          hint="Leave empty for the same as per order."
          type="number"
          inputMode="numeric"
          min={0}
          max={200}
          value={draft.maxPerBuyer}
          onValue={(v) => set({ maxPerBuyer: v })}
          error={err("event.max_tickets_per_buyer")}
          disabled={layoutLocked}
        />
        <fieldset>
          <legend>Prices</legend>
          <Field
            id="event-currency"
            label="Currency"
            hint="Three letters, for example EUR."
            maxLength={3}
            value={draft.currency}
            onValue={(v) => set({ currency: v.toUpperCase() })}
            disabled={!editable}
          />
          {(venue?.sections ?? []).map((s) => (
            <Field
              key={s.id}
              id={`price-${s.id}`}
              label={`Price in ${s.name}`}
              inputMode="decimal"
              value={draft.prices[s.id] ?? ""}
              onValue={(v) => set({ prices: { ...draft.prices, [s.id]: v } })}
              error={priceError(problem, venue, draft, s.id)}
              disabled={!editable}
            />
          ))}
        </fieldset>
        <p class="actions">
          <button type="submit" class="primary" disabled={busy || !editable || !venue}>
            {event ? "Save changes" : "Create draft"}
          </button>
          {event && state === EventState.DRAFT && (
            <button type="button" disabled={busy} onClick={publish}>
              Publish
            </button>
          )}
        </p>
      </form>
      {event && state !== EventState.DRAFT && (
        <SalesSummaryPanel event={event} sectionName={(id) => venue?.sections.find((s) => s.id === id)?.name} />
      )}
      {event && editable && <CancelEventForm event={event} onCancelled={props.onSaved} />}
    </section>
  );
}
