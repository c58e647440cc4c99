/**
 * Live availability of an event page over ONE WatchAvailability stream at a time, so a browser on
 * HTTP/1.1 (six connections per origin) keeps its connections for the page's other calls.
 *
 * The stream follows what the buyer looks at: a reserved section → that section with every seat's
 * state (include_seats + section_id, so a stadium's page never carries 100,000 seats); otherwise the
 * whole event's counts. The stream sends a snapshot, then only what changed (AvailabilityChange:
 * the changed sections' counts and the seats whose state changed). When the stream switches to a
 * section, one GetAvailability refreshes the other sections' counts.
 */
import { Code } from "@connectrpc/connect";
import { useEffect, useState } from "preact/hooks";
import { ticketClient } from "../api/clients.js";
import type { Problem } from "../api/errors.js";
import { type StreamState, watch } from "../api/watch.js";
import {
  type Availability,
  type AvailabilityChange,
  SeatState,
  type SectionAvailability,
} from "../gen/boxoffice/ticket/v1/availability_pb.js";
import { seatKey } from "./seats.js";

export interface LiveAvailability {
  /** Counts and price per section id (from the latest snapshot that had the section). */
  readonly sections: ReadonlyMap<string, SectionAvailability>;
  /** Seat states of the watched reserved section. */
  readonly seats: ReadonlyMap<string, SeatState>;
  /** The section whose seats `seats` describes ("" when none). */
  readonly seatsOf: string;
  readonly onSale: boolean | undefined;
  readonly stream: StreamState;
  /** Set when availability cannot be had at all (e.g. the ticket service is not running). */
  readonly problem: Problem | undefined;
  /** Snapshots and changes received so far (tests and the status line). */
  readonly updates: number;
}

const empty: LiveAvailability = {
  sections: new Map(),
  seats: new Map(),
  seatsOf: "",
  onSale: undefined,
  stream: { kind: "connecting" },
  problem: undefined,
  updates: 0,
};

/** Watches `eventId`; with `seatSection` set (a reserved section id) the stream carries its seats. */
export function useAvailability(eventId: string, seatSection: string, enabled: boolean): LiveAvailability {
  const [live, setLive] = useState<LiveAvailability>(empty);

  useEffect(() => {
    if (!enabled || eventId === "") return;
    const apply = (a: Availability | AvailabilityChange, kind: "snapshot" | "change") =>
      setLive((prev) => ({ ...prev, ...merge(prev, a, kind), problem: undefined, updates: prev.updates + 1 }));
    const refreshCounts = new AbortController();
    if (seatSection !== "") {
      ticketClient.getAvailability({ eventId }, { signal: refreshCounts.signal }).then(
        (r) =>
          r.availability &&
          apply(
            { ...r.availability, sections: r.availability.sections.filter((s) => s.sectionId !== seatSection) },
            "snapshot",
          ),
        () => undefined, // the stream reports problems; counts of other sections just stay as they were
      );
    }
    const stop = watch({
      open: (signal) =>
        ticketClient.watchAvailability(
          { eventId, sectionId: seatSection, includeSeats: seatSection !== "" },
          { signal },
        ),
      // just published: the ticket service makes the inventory from the EventPublished fact, moments later
      alsoRetry: (p) => p.code === Code.NotFound,
      onMessage: (m) => {
        if (m.update.case === "availability") apply(m.update.value, "snapshot");
        else if (m.update.case === "change") apply(m.update.value, "change");
      },
      onState: (stream) =>
        setLive((prev) => ({ ...prev, stream, problem: stream.kind === "failed" ? stream.problem : prev.problem })),
    });
    return () => {
      refreshCounts.abort();
      stop();
    };
  }, [eventId, seatSection, enabled]);

  return live;
}

/**
 * The page's state after one message. A snapshot replaces the counts of its sections and, for a
 * section with rows, every seat's state; a change (AvailabilityChange) replaces the counts of the
 * sections it lists and carries only the seats whose state changed, applied to the last snapshot.
 */
function merge(
  prev: LiveAvailability,
  a: Availability | AvailabilityChange,
  kind: "snapshot" | "change",
): Pick<LiveAvailability, "sections" | "seats" | "seatsOf" | "onSale"> {
  const sections = new Map(prev.sections);
  let seats = prev.seats;
  let seatsOf = prev.seatsOf;
  for (const s of a.sections) {
    sections.set(s.sectionId, s);
    if (s.rows.length === 0) continue;
    const delta = kind === "change" && s.sectionId === seatsOf;
    const m = delta ? new Map(seats) : new Map<string, SeatState>();
    for (const r of s.rows) for (const seat of r.seats) m.set(seatKey(r.rowLabel, seat.seatLabel), seat.state);
    seats = m;
    seatsOf = s.sectionId;
  }
  return { sections, seats, seatsOf, onSale: a.onSale };
}

export { SeatState };
