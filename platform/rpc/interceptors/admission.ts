import type { DescMethod } from "@bufbuild/protobuf";
import { createContextKey, type HandlerContext, type Interceptor } from "@connectrpc/connect";
import type { AdmissionTier } from "../access.js";
import { ResourceExhaustedError, UnavailableError } from "../errors.js";
import { observeCall } from "../stream.js";

/** What a refused call is counted as: its tier (unary), `stream`, or `control` (health and reflection streams). */
export type ShedClass = AdmissionTier | "stream" | "control";

export interface AdmissionOptions {
  /**
   * The unary bound: unary calls in progress at which `critical` calls are refused. `normal` ones
   * are refused from {@link tierShares}.normal of it, `sheddable` ones from half of it; `internal`
   * ones only at twice it (see {@link unaryLimits}).
   */
  maxUnary: number;
  /** The admission tier of an RPC (from its access rule: {@link tierOf}). */
  tierOf: (method: DescMethod) => AdmissionTier;
  /** Streams of the application services open at once; they take no unary slot. */
  maxStreams: number;
  /** The same, per connection (see {@link connectionKey}). */
  maxStreamsPerConnection: number;
  /** True once the process is draining: new calls are refused with UNAVAILABLE. */
  isDraining: () => boolean;
  /** Services never shed or refused (health, reflection): probes must see the truth. */
  exempt: ReadonlySet<string>;
  /** Streams of the exempt services (Health.Watch, reflection) open at once, in total. */
  maxExemptStreams: number;
  /** The same, per connection. */
  maxExemptStreamsPerConnection: number;
  /** Told of every refused call (for the shed counter). */
  onShed?: (reason: "overloaded" | "draining" | "too_many_streams", tier: ShedClass) => void;
}

/**
 * Where each tier stops being admitted, as a share of the unary bound. Sheddable reads stop at half
 * load, so a crowd that is only browsing can never fill the process; new holds stop at 80 %, which
 * keeps a fifth of the slots for Checkout and the other calls that finish work a buyer has already
 * started; internal calls go on to twice the bound because each runs on behalf of a call admitted
 * already (a Checkout's Charge, in one process the same slot count) — refusing it would waste that
 * call, not spare the box.
 */
export const tierShares: Readonly<Record<AdmissionTier, number>> = {
  sheddable: 0.5,
  normal: 0.8,
  critical: 1,
  internal: 2,
};

/** The unary calls in progress at which each tier is refused, for a bound of `maxUnary`. */
export function unaryLimits(maxUnary: number): Readonly<Record<AdmissionTier, number>> {
  const at = (share: number) => Math.max(1, Math.floor(maxUnary * share));
  return {
    sheddable: at(tierShares.sheddable),
    normal: at(tierShares.normal),
    critical: at(tierShares.critical),
    internal: at(tierShares.internal),
  };
}

/** How long a refused call is told to wait (RetryInfo): the less it matters, the longer. */
const retryAfterMs: Readonly<Record<AdmissionTier, number>> = {
  sheddable: 1000,
  normal: 500,
  critical: 200,
  internal: 100,
};

/** A slot taken by the request gate before the body is read; the interceptor takes it over. */
interface Reservation {
  held: boolean;
  /** Gives the slot back (a unary slot, or a place in a stream budget). */
  readonly release: () => void;
}
const reservationKey = createContextKey<Reservation | undefined>(undefined, { description: "admission slot" });

/** The connection a call came on (HTTP/1.1 socket or HTTP/2 session): what per-connection limits count by. */
export const connectionKey = createContextKey<object | undefined>(undefined, { description: "connection" });

/** Streams open at once, in total and per connection. */
class StreamBudget {
  open = 0;
  readonly #perConnection = new WeakMap<object, number>();
  constructor(
    readonly max: number,
    readonly maxPerConnection: number,
  ) {}

  /** Takes a place, or says which limit is full ("server" / "connection"). */
  take(conn: object | undefined): (() => void) | "server" | "connection" {
    if (this.open >= this.max) return "server";
    const onConn = conn === undefined ? 0 : (this.#perConnection.get(conn) ?? 0);
    if (onConn >= this.maxPerConnection) return "connection";
    this.open++;
    if (conn !== undefined) this.#perConnection.set(conn, onConn + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.open--;
      if (conn !== undefined) this.#perConnection.set(conn, (this.#perConnection.get(conn) ?? 1) - 1);
    };
  }
}

/**
 * Load shedding by criticality, innermost. Unary calls share one bound (`maxUnary`, sized to what
 * the box serves at once) and each tier is refused at its own share of it — sheddable reads first,
 * then new work, critical calls last, internal calls only at twice the bound — with
 * RESOURCE_EXHAUSTED `OVERLOADED` at once (cheap) instead of queueing behind work that will miss
 * its deadline. Streams cost memory and a wake-up, not CPU concurrency: they take no unary slot and
 * have their own budget, in total and per connection (RESOURCE_EXHAUSTED `TOO_MANY_STREAMS`).
 * While draining, new calls get UNAVAILABLE so the client (or the mesh) retries another instance.
 * The exempt services' unary calls pass untouched (probes must see the truth), but their streams
 * are public and long-lived, so they have a budget of their own.
 */
export function admissionInterceptor(opts: AdmissionOptions): Interceptor & {
  /** Calls in progress: unary and application streams (what a drain waits for). */
  inflight: () => number;
  /** Unary calls in progress. */
  unary: () => number;
  /** Application streams open. */
  streams: () => number;
  gate: (ctx: HandlerContext) => void;
} {
  const limits = unaryLimits(opts.maxUnary);
  let unary = 0;
  const streams = new StreamBudget(opts.maxStreams, opts.maxStreamsPerConnection);
  const control = new StreamBudget(opts.maxExemptStreams, opts.maxExemptStreamsPerConnection);
  const tiers = new WeakMap<DescMethod, AdmissionTier>();
  const tierOf = (m: DescMethod): AdmissionTier => {
    let t = tiers.get(m);
    if (t === undefined) {
      t = opts.tierOf(m);
      tiers.set(m, t);
    }
    return t;
  };
  const releaseUnary = () => void unary--;

  const takeStream = (budget: StreamBudget, conn: object | undefined, cls: "stream" | "control") => {
    const got = budget.take(conn);
    if (typeof got === "function") return got;
    opts.onShed?.("too_many_streams", cls);
    const what = cls === "control" ? "health and reflection streams" : "streams";
    throw new ResourceExhaustedError(
      "TOO_MANY_STREAMS",
      `too many ${what} open on this ${got} (limit ${got === "server" ? budget.max : budget.maxPerConnection})`,
      1000,
    );
  };
  /** Decides a non-exempt call; returns how to give its place back. */
  const admit = (method: DescMethod, conn: () => object | undefined): (() => void) => {
    const tier = tierOf(method);
    const stream = method.methodKind !== "unary";
    if (opts.isDraining()) {
      opts.onShed?.("draining", stream ? "stream" : tier);
      throw new UnavailableError("DRAINING", "server is shutting down; retry on another instance");
    }
    if (stream) return takeStream(streams, conn(), "stream");
    if (unary >= limits[tier]) {
      opts.onShed?.("overloaded", tier);
      throw new ResourceExhaustedError(
        "OVERLOADED",
        tier === "critical" || tier === "internal"
          ? `server is at its limit of ${limits[tier]} calls in progress`
          : `server is busy (${unary} calls in progress): ${tier} calls are refused until it is below ${limits[tier]}`,
        retryAfterMs[tier],
      );
    }
    unary++;
    return releaseUnary;
  };
  /**
   * The same decision, taken in the request gate — before the request body is read — so a refused
   * call costs no body read and no buffer, and calls still receiving their bodies count as in
   * progress. The slot passes to the interceptor when the call gets there; a call that ends before
   * (its body too slow for the deadline, undecodable, refused by authentication or validation)
   * gives it back when Connect ends the call (`abort`).
   */
  const gate = (ctx: HandlerContext) => {
    if (opts.exempt.has(ctx.service.typeName)) return;
    const release = admit(ctx.method, () => ctx.values.get(connectionKey));
    const slot: Reservation = { held: true, release };
    ctx.values.set(reservationKey, slot);
    const c = ctx as HandlerContext & { abort?: (reason?: unknown) => void };
    const abort = c.abort;
    if (typeof abort !== "function") return;
    c.abort = (reason?: unknown) => {
      if (slot.held) {
        slot.held = false;
        slot.release();
      }
      abort.call(c, reason);
    };
  };
  const interceptor: Interceptor = (next) => (req) => {
    if (opts.exempt.has(req.service.typeName)) {
      if (!req.stream) return next(req);
      return observeCall(next, req, takeStream(control, req.contextValues.get(connectionKey), "control"));
    }
    const slot = req.contextValues.get(reservationKey);
    let release: () => void;
    if (slot?.held === true) {
      slot.held = false; // the gate's slot is ours now
      release = slot.release;
    } else release = admit(req.method, () => req.contextValues.get(connectionKey));
    if (!req.stream) {
      // unary: released when the answer (or the error) is in
      let answer: ReturnType<typeof next>;
      try {
        answer = next(req);
      } catch (e) {
        release();
        throw e;
      }
      return answer.then(
        (res) => {
          release();
          return res;
        },
        (e: unknown) => {
          release();
          throw e;
        },
      );
    }
    return observeCall(next, req, release);
  };
  return Object.assign(interceptor, {
    inflight: () => unary + streams.open,
    unary: () => unary,
    streams: () => streams.open,
    gate,
  });
}
