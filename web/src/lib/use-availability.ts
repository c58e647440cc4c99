/**
 * Live availability of an event page over ONE WatchAvailability stream at a time, so a browser on
 * HTTP/1.1 (six connections per origin) keeps its connections for the page's other calls.
 *
 * The contract sends seat states only for one section (include_seats requires section_id), so the
 * stream follows what the buyer looks at: a reserved section → that section with every seat's state;
 * otherwise the whole event's counts. When the stream switches to a section, one GetAvailability
 * refreshes the other sections' counts.
 */
import { Code } from "@connectrpc/connect";
import { useEffect, useState } from "preact/hooks";
import { ticketClient } from "../api/clients.js";
import type { Problem } from "../api/errors.js";
import { type StreamState, watch } from "../api/watch.js";
import { type Availability, SeatState, type SectionAvailability } from "../gen/boxoffice/ticket/v1/availability_pb.js";
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
  /** Snapshots received so far (tests and the status line). */
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
    const apply = (a: Availability) =>
      setLive((prev) => {
        const sections = new Map(prev.sections);
        let seats = prev.seats;
        let seatsOf = prev.seatsOf;
        for (const s of a.sections) {
          sections.set(s.sectionId, s);
          if (s.rows.length > 0) {
            const m = new Map<string, SeatState>();
            for (const r of s.rows) for (const seat of r.seats) m.set(seatKey(r.rowLabel, seat.seatLabel), seat.state);
            seats = m;
            seatsOf = s.sectionId;
          }
        }
        return { ...prev, sections, seats, seatsOf, onSale: a.onSale, problem: undefined, updates: prev.updates + 1 };
      });
    const refreshCounts = new AbortController();
    if (seatSection !== "") {
      ticketClient.getAvailability({ eventId }, { signal: refreshCounts.signal }).then(
        (r) =>
          r.availability &&
          apply({ ...r.availability, sections: r.availability.sections.filter((s) => s.sectionId !== seatSection) }),
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
        if (m.update.case === "availability") apply(m.update.value);
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

export { SeatState };
