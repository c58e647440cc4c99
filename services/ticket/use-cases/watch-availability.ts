import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  type WatchAvailabilityRequest,
  type WatchAvailabilityResponse,
  WatchAvailabilityResponseSchema,
} from "../../../gen/boxoffice/ticket/v1/ticket_service_pb.js";
import type { Clock } from "../../../platform/clock/index.js";
import type { Principal } from "../../../platform/principal/index.js";
import type { TicketDeps } from "../deps.js";
import type { LiveEvent } from "../live-availability.js";
import { liveChange, liveSnapshot, type View, viewKey } from "../mappers.js";
import { inventoryOf, sectionOf } from "./inventory-of.js";

/**
 * Where a stream's messages may be written directly (rpc.ts hands in the transport's, from
 * platform/rpc/shared-stream.ts): "written"; "full" (written, and the stream's buffer is full: no
 * more until `onDrain` calls back); "yield" (not written: the generator yields it instead).
 */
export interface StreamOut<M> {
  write(message: M): "written" | "full" | "yield";
  onDrain(cb: () => void): () => void;
}

/**
 * WatchAvailability (public, server streaming): the snapshot first, then what changed — the counts
 * of the sections that changed and, with include_seats, each seat whose state changed, for every
 * section of the event (or the one asked for) — at most one message per
 * BOXOFFICE_TICKET_WATCH_INTERVAL_MS, a heartbeat after BOXOFFICE_TICKET_WATCH_HEARTBEAT_SECONDS of
 * silence, and the end when `signal` aborts (the caller left, or the server drains).
 *
 * After its snapshot a stream joins the {@link Fanout} of its event and view, which serves every
 * such stream of this process from one timer: each stream remembers the version of the live map
 * it last sent, and the streams that are due get the changes since then, built, encoded and
 * framed once for all that saw the same version — the same message object, which `out` (rpc.ts:
 * platform/rpc/shared-stream.ts) frames once and writes to each stream as the same bytes; without
 * it, or for what it cannot write, the stream yields the message through connect as usual). A stream keeps no queue: one whose socket buffer is full is
 * skipped until it drains, then sent the changes since the version it last sent, or a fresh
 * snapshot once the map's change log no longer reaches back that far. So a slow or stuck watcher
 * costs its socket buffers and a few numbers, and never slows a hold or another watcher.
 */
export async function* watchAvailability(
  d: TicketDeps,
  _principal: Principal | undefined,
  req: WatchAvailabilityRequest,
  signal: AbortSignal,
  out?: StreamOut<WatchAvailabilityResponse>,
): AsyncGenerator<WatchAvailabilityResponse> {
  const inv = await inventoryOf(d, req.eventId);
  const view: View = { section: sectionOf(inv, req.sectionId), seats: req.includeSeats };
  const live = await d.live.acquire(inv);
  const stop = AbortSignal.any([signal, d.drain]);
  let fanout: Fanout | undefined;
  let watch: Watch | undefined;
  try {
    const seen = live.map.version;
    yield create(WatchAvailabilityResponseSchema, {
      update: { case: "availability", value: liveSnapshot(live, view, d.clock.now()) },
    });
    // from here on connect waits on this generator with nothing of its own queued: the fan-out may
    // write frames to the stream until the generator returns (then connect writes the end)
    watch = new Watch(seen, d.clock.now(), out, stop);
    fanout = Fanout.of(live, view, d.settings.watchIntervalMs, d.settings.watchHeartbeatSeconds * 1000, d.clock);
    fanout.add(watch);
    for (;;) {
      const m = await watch.next();
      if (m === undefined) break;
      yield m;
      watch.taken();
    }
  } finally {
    if (watch !== undefined) fanout?.delete(watch);
    d.live.release(live);
  }
}

/** One stream in a fan-out. */
class Watch {
  /** A message or a full buffer on its way: the fan-out skips the stream until it is through. */
  busy = false;
  /** The message the generator is to yield (the fan-out could not write it). */
  #mail: WatchAvailabilityResponse | undefined;
  #wake: (() => void) | undefined;
  #cancelDrain: (() => void) | undefined;
  /** Called when the stream can take a message again (set by the fan-out). */
  ready: () => void = () => undefined;

  constructor(
    /** The live map's version this stream last sent (or skipped, when it did not concern it). */
    public seen: number,
    /** When it last sent a message (the fan-out's time: the tick's grid point). */
    public lastSent: number,
    readonly out: StreamOut<WatchAvailabilityResponse> | undefined,
    readonly stop: AbortSignal,
  ) {
    stop.addEventListener("abort", () => this.#wake?.(), { once: true });
  }

  send(m: WatchAvailabilityResponse, at: number): void {
    this.lastSent = at;
    const wrote = this.out?.write(m) ?? "yield";
    if (wrote === "written") return;
    this.busy = true;
    if (wrote === "full") {
      this.#cancelDrain = this.out!.onDrain(() => {
        this.#cancelDrain = undefined;
        this.busy = false;
        this.ready();
      });
      return;
    }
    this.#mail = m;
    this.#wake?.();
  }

  /** The next message to yield, or undefined at the end of the stream. */
  async next(): Promise<WatchAvailabilityResponse | undefined> {
    for (;;) {
      if (this.stop.aborted) return undefined;
      const m = this.#mail;
      if (m !== undefined) {
        this.#mail = undefined;
        return m;
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      this.#wake = undefined;
    }
  }

  /** The yielded message is written (connect waits for the socket before it asks for the next). */
  taken(): void {
    this.busy = false;
    this.ready();
  }

  close(): void {
    this.#cancelDrain?.();
  }
}

const fanouts = new WeakMap<LiveEvent, Map<string, Fanout>>();

/**
 * The streams of one event and view in this process, served together: one timer on a grid of
 * `grid` ms (aligned to the clock, so streams settle into a few cohorts that send at the same
 * grid point), one message per version a stream last sent (built, encoded and framed once), one
 * heartbeat message per tick for every stream that was silent long enough.
 */
class Fanout {
  readonly #watches = new Set<Watch>();
  readonly #grid: number;
  #timer: NodeJS.Timeout | undefined;
  /** The map version of the last scan; a scan with the same version and nothing due does nothing. */
  #scanned = -1;
  /** Some stream still has changes to send (not due yet, or busy until now). */
  #pending = false;
  #nextHeartbeat = Number.POSITIVE_INFINITY;
  /** Messages built at `#builtAt` (the map's version), by the version a stream last sent. */
  #built = new Map<number, WatchAvailabilityResponse | null>();
  #builtAt = -1;

  static of(live: LiveEvent, view: View, interval: number, heartbeat: number, clock: Clock): Fanout {
    let byView = fanouts.get(live);
    if (byView === undefined) {
      byView = new Map();
      fanouts.set(live, byView);
    }
    const key = viewKey(view);
    let f = byView.get(key);
    if (f === undefined) {
      f = new Fanout(live, view, interval, heartbeat, clock, () => byView.delete(key));
      byView.set(key, f);
    }
    return f;
  }

  private constructor(
    readonly live: LiveEvent,
    readonly view: View,
    readonly interval: number,
    readonly heartbeat: number,
    readonly clock: Clock,
    readonly dropped: () => void,
  ) {
    // a change waits at most one grid step for its stream's next tick
    this.#grid = Math.max(1, Math.min(100, interval));
  }

  add(w: Watch): void {
    w.lastSent = this.#at(w.lastSent);
    w.ready = () => {
      this.#pending = true;
    };
    this.#watches.add(w);
    this.#pending = true;
    if (this.#timer === undefined) this.#schedule();
  }

  delete(w: Watch): void {
    w.close();
    this.#watches.delete(w);
    if (this.#watches.size === 0) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.dropped();
    }
  }

  /** A time on the grid (timers fire a little late, or early within a millisecond). */
  #at(ms: number): number {
    return Math.round(ms / this.#grid) * this.#grid;
  }

  #schedule(): void {
    this.#timer = setTimeout(
      () => {
        try {
          this.#tick();
        } finally {
          if (this.#watches.size > 0) this.#schedule();
        }
      },
      this.#grid - (this.clock.now() % this.#grid),
    );
    this.#timer.unref();
  }

  #tick(): void {
    const now = this.clock.now();
    const at = this.#at(now);
    const version = this.live.map.version;
    if (version === this.#scanned && !this.#pending && at < this.#nextHeartbeat) return;
    this.#scanned = version;
    this.#pending = false;
    this.#nextHeartbeat = Number.POSITIVE_INFINITY;
    if (this.#builtAt !== version) {
      this.#built = new Map();
      this.#builtAt = version;
    }
    let heartbeat: WatchAvailabilityResponse | undefined;
    for (const w of this.#watches) {
      if (w.busy || w.stop.aborted) continue; // it says when it is ready again
      if (w.seen !== version) {
        if (at < w.lastSent + this.interval) {
          this.#pending = true; // coalesced: everything until it is due goes out as one message
          continue;
        }
        const m = this.#message(w.seen, now);
        w.seen = version;
        if (m !== null) {
          w.send(m, at);
          continue;
        }
        // the changes were elsewhere in the event: nothing for this view
      }
      if (at >= w.lastSent + this.heartbeat) {
        heartbeat ??= create(WatchAvailabilityResponseSchema, {
          update: { case: "heartbeat", value: { sendTime: timestampFromMs(now) } },
        });
        w.send(heartbeat, at);
      } else this.#nextHeartbeat = Math.min(this.#nextHeartbeat, w.lastSent + this.heartbeat);
    }
  }

  /** The message for streams that last sent version `seen` (null: nothing that concerns the view). */
  #message(seen: number, now: number): WatchAvailabilityResponse | null {
    let m = this.#built.get(seen);
    if (m !== undefined) return m;
    const { live, view } = this;
    const changes = live.map.changesSince(seen);
    const update: WatchAvailabilityResponse["update"] =
      changes === undefined
        ? { case: "availability", value: liveSnapshot(live, view, now) }
        : (() => {
            const change = liveChange(live, seen, changes, view, now);
            return change === undefined ? { case: undefined } : { case: "change", value: change };
          })();
    m = update.case === undefined ? null : create(WatchAvailabilityResponseSchema, { update });
    this.#built.set(seen, m);
    return m;
  }
}
