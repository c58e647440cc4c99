import { EventState } from "../../../gen/boxoffice/event/v1/event_pb.js";
import { FailedPreconditionError } from "../../../platform/errors/index.js";

/**
 * The event lifecycle, the one place its rules live:
 *
 * ```
 *   DRAFT ──publish──▶ PUBLISHED ──(end_time passes)──▶ ENDED
 *     │                    │
 *     └──────cancel────────┴──▶ CANCELLED
 * ```
 *
 * DRAFT, PUBLISHED and CANCELLED are stored; ENDED is derived from `end_time` when an event is
 * read ({@link effectiveState}), never written, so it needs no sweeper and a cached copy cannot
 * outlive it. Every change goes through {@link nextState}, which refuses what the state forbids.
 */

/** The states the database stores (the `events.state` column). */
export type StoredState = "DRAFT" | "PUBLISHED" | "CANCELLED";

const stored: Record<StoredState, EventState> = {
  DRAFT: EventState.DRAFT,
  PUBLISHED: EventState.PUBLISHED,
  CANCELLED: EventState.CANCELLED,
};

/** What a caller can do to an event. */
export type LifecycleAction =
  /** PublishEvent. */
  | "publish"
  /** CancelEvent. */
  | "cancel"
  /** UpdateEvent of texts, times or prices. */
  | "edit"
  /** UpdateEvent of the sellable layout (venue, ticket limit, sales window). */
  | "change-layout";

/**
 * The state an event is in at `nowMs`: the stored state, except that a PUBLISHED event whose end
 * has come is ENDED (at `end_time` exactly, too). An unknown stored value is UNSPECIFIED.
 */
export function effectiveState(storedState: string, endMs: number | undefined, nowMs: number): EventState {
  const state = stored[storedState as StoredState] ?? EventState.UNSPECIFIED;
  return state === EventState.PUBLISHED && endMs !== undefined && endMs <= nowMs ? EventState.ENDED : state;
}

/** The stored state a state filter reads: ENDED events are stored PUBLISHED; UNSPECIFIED is none. */
export function storedStateOf(state: EventState): StoredState | undefined {
  if (state === EventState.ENDED) return "PUBLISHED";
  const name = EventState[state] as StoredState;
  return name in stored ? name : undefined;
}

/** The stored name of a state that can be stored. */
export function storedName(state: EventState.DRAFT | EventState.PUBLISHED | EventState.CANCELLED): StoredState {
  return EventState[state] as StoredState;
}

const name = (s: EventState) => EventState[s];

/**
 * The state after `action` on an event in state `current`, or FAILED_PRECONDITION with the reason
 * the catalogue names (EVENT_NOT_DRAFT, EVENT_NOT_CANCELLABLE, EVENT_NOT_EDITABLE, LAYOUT_FROZEN).
 * `layoutFields` names the layout fields a `change-layout` touches (for the message).
 */
export function nextState(
  current: EventState,
  action: LifecycleAction,
  layoutFields: readonly string[] = [],
): EventState {
  switch (action) {
    case "publish":
      if (current === EventState.DRAFT) return EventState.PUBLISHED;
      throw new FailedPreconditionError(
        "EVENT_NOT_DRAFT",
        `only a DRAFT event can be published; this one is ${name(current)}`,
      );
    case "cancel":
      if (current === EventState.DRAFT || current === EventState.PUBLISHED) return EventState.CANCELLED;
      throw new FailedPreconditionError("EVENT_NOT_CANCELLABLE", `a ${name(current)} event cannot be cancelled`);
    case "edit":
    case "change-layout":
      if (current !== EventState.DRAFT && current !== EventState.PUBLISHED)
        throw new FailedPreconditionError("EVENT_NOT_EDITABLE", `a ${name(current)} event cannot change`);
      if (action === "change-layout" && current === EventState.PUBLISHED) {
        throw new FailedPreconditionError(
          "LAYOUT_FROZEN",
          `a published event's layout cannot change (${layoutFields.join(", ")})`,
        );
      }
      return current;
  }
}

/** What publishing needs besides the state, all read in the publishing transaction. */
export interface PublishFacts {
  state: EventState;
  startMs: number;
  salesStartMs: number | undefined;
  salesEndMs: number | undefined;
  /** Sections of the venue without a price tier. */
  unpricedSectionIds: readonly string[];
}

/**
 * The checks of PublishEvent, in the order they answer: a DRAFT (EVENT_NOT_DRAFT), not started yet
 * (EVENT_IN_PAST), a sales window (SALES_WINDOW_MISSING), a price for every section
 * (MISSING_PRICES). Returns the state after publishing.
 */
export function publish(f: PublishFacts, nowMs: number): EventState {
  const next = nextState(f.state, "publish");
  if (f.startMs <= nowMs) throw new FailedPreconditionError("EVENT_IN_PAST", "the event has already started");
  if (f.salesStartMs === undefined || f.salesEndMs === undefined) {
    throw new FailedPreconditionError(
      "SALES_WINDOW_MISSING",
      "set sales_start_time and sales_end_time before publishing",
    );
  }
  if (f.unpricedSectionIds.length > 0) {
    throw new FailedPreconditionError(
      "MISSING_PRICES",
      `every section needs a price before publishing (${f.unpricedSectionIds.length} without)`,
      { sections: f.unpricedSectionIds.join(",") },
    );
  }
  return next;
}
