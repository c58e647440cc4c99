import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  type WatchAvailabilityRequest,
  type WatchAvailabilityResponse,
  WatchAvailabilityResponseSchema,
} from "../../../gen/boxoffice/ticket/v1/ticket_service_pb.js";
import type { Principal } from "../../../platform/principal/index.js";
import type { TicketDeps } from "../deps.js";
import { liveChange, liveSnapshot, type View } from "../mappers.js";
import { inventoryOf, sectionOf } from "./inventory-of.js";

/**
 * WatchAvailability (public, server streaming): the snapshot first, then what changed — the counts
 * of the sections that changed and, with include_seats, each seat whose state changed, for every
 * section of the event (or the one asked for) — at most one message per
 * BOXOFFICE_TICKET_WATCH_INTERVAL_MS, a heartbeat after BOXOFFICE_TICKET_WATCH_HEARTBEAT_SECONDS of
 * silence, and the end when `signal` aborts (the caller left, or the server drains).
 *
 * A stream keeps no queue: it remembers the version of the live map it last sent and, when the
 * transport asks for its next message, builds the changes since then. A reader that falls so far
 * behind that the map's change log no longer reaches its version gets a fresh snapshot instead.
 * So a slow or stuck watcher costs its socket buffers and one number, and never slows a hold.
 */
export async function* watchAvailability(
  d: TicketDeps,
  _principal: Principal | undefined,
  req: WatchAvailabilityRequest,
  signal: AbortSignal,
): AsyncGenerator<WatchAvailabilityResponse> {
  const inv = await inventoryOf(d, req.eventId);
  const view: View = { section: sectionOf(inv, req.sectionId), seats: req.includeSeats };
  const live = await d.live.acquire(inv);
  const interval = d.settings.watchIntervalMs;
  const heartbeat = d.settings.watchHeartbeatSeconds * 1000;
  const stop = AbortSignal.any([signal, d.drain]);
  try {
    let seen = live.map.version;
    yield create(WatchAvailabilityResponseSchema, {
      update: { case: "availability", value: liveSnapshot(live, view, d.clock.now()) },
    });
    let lastSent = d.clock.now();
    while (!stop.aborted) {
      if (live.map.version === seen) {
        const quietUntil = lastSent + heartbeat;
        await live.wait(quietUntil - d.clock.now(), stop);
        if (stop.aborted) break;
        if (live.map.version === seen) {
          if (d.clock.now() >= quietUntil) {
            yield create(WatchAvailabilityResponseSchema, {
              update: { case: "heartbeat", value: { sendTime: timestampFromMs(d.clock.now()) } },
            });
            lastSent = d.clock.now();
          }
          continue;
        }
      }
      // coalesce: everything that changes until the interval is up goes out as one message
      const due = lastSent + interval - d.clock.now();
      if (due > 0) await sleep(due, stop);
      if (stop.aborted) break;
      const to = live.map.version;
      const changes = live.map.changesSince(seen);
      const now = d.clock.now();
      const update: WatchAvailabilityResponse["update"] =
        changes === undefined
          ? { case: "availability", value: liveSnapshot(live, view, now) }
          : (() => {
              const change = liveChange(live, seen, changes, view, now);
              return change === undefined ? { case: undefined } : { case: "change", value: change };
            })();
      seen = to;
      if (update.case === undefined) continue; // changes elsewhere in the event
      yield create(WatchAvailabilityResponseSchema, { update });
      lastSent = d.clock.now();
    }
  } finally {
    d.live.release(live);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
