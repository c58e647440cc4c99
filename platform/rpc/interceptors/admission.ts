import { createContextKey, type HandlerContext, type Interceptor } from "@connectrpc/connect";
import { ResourceExhaustedError, UnavailableError } from "../errors.js";
import { observeCall } from "../stream.js";

export interface AdmissionOptions {
  /** Calls in progress (unary and streams) above which new calls are shed. */
  maxInflight: number;
  /** True once the process is draining: new calls are refused with UNAVAILABLE. */
  isDraining: () => boolean;
  /** Services never shed or refused (health, reflection): probes must see the truth. */
  exempt: ReadonlySet<string>;
  /** Streams of the exempt services (Health.Watch, reflection) open at once, in total. */
  maxExemptStreams: number;
  /** The same, per connection (see {@link connectionKey}). */
  maxExemptStreamsPerConnection: number;
  /** Told of every refused call (for the shed counter). */
  onShed?: (reason: "overloaded" | "draining" | "too_many_streams") => void;
}

/** A slot taken by the request gate before the body is read; the interceptor takes it over. */
interface Reservation {
  held: boolean;
}
const reservationKey = createContextKey<Reservation | undefined>(undefined, { description: "admission slot" });

/** The connection a call came on (HTTP/1.1 socket or HTTP/2 session): what per-connection limits count by. */
export const connectionKey = createContextKey<object | undefined>(undefined, { description: "connection" });

/**
 * Load shedding, innermost: when more than `maxInflight` calls are in progress the next one gets
 * RESOURCE_EXHAUSTED at once (cheap) instead of queueing behind work that will miss its deadline;
 * while draining, new calls get UNAVAILABLE so the client (or the mesh) retries another instance.
 * The exempt services' unary calls pass untouched (probes must see the truth), but their streams
 * are public and long-lived, so they are capped in total and per connection (RESOURCE_EXHAUSTED).
 */
export function admissionInterceptor(
  opts: AdmissionOptions,
): Interceptor & { inflight: () => number; gate: (ctx: HandlerContext) => void } {
  let inflight = 0;
  let exemptStreams = 0;
  const perConnection = new WeakMap<object, number>();
  const exemptStream: Interceptor = (next) => (req) => {
    const conn = req.contextValues.get(connectionKey);
    const onConn = conn === undefined ? 0 : (perConnection.get(conn) ?? 0);
    if (exemptStreams >= opts.maxExemptStreams || onConn >= opts.maxExemptStreamsPerConnection) {
      opts.onShed?.("too_many_streams");
      const which = exemptStreams >= opts.maxExemptStreams ? "on this server" : "on this connection";
      throw new ResourceExhaustedError(
        "TOO_MANY_STREAMS",
        `too many health and reflection streams open ${which}`,
        1000,
      );
    }
    exemptStreams++;
    if (conn !== undefined) perConnection.set(conn, onConn + 1);
    let released = false;
    return observeCall(next, req, () => {
      if (released) return;
      released = true;
      exemptStreams--;
      if (conn !== undefined) perConnection.set(conn, (perConnection.get(conn) ?? 1) - 1);
    });
  };
  const admit = () => {
    if (opts.isDraining()) {
      opts.onShed?.("draining");
      throw new UnavailableError("DRAINING", "server is shutting down; retry on another instance");
    }
    if (inflight >= opts.maxInflight) {
      opts.onShed?.("overloaded");
      throw new ResourceExhaustedError(
        "OVERLOADED",
        `server is at its limit of ${opts.maxInflight} calls in progress`,
        200,
      );
    }
    inflight++;
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
    admit();
    const slot: Reservation = { held: true };
    ctx.values.set(reservationKey, slot);
    const c = ctx as HandlerContext & { abort?: (reason?: unknown) => void };
    const abort = c.abort;
    if (typeof abort !== "function") return;
    c.abort = (reason?: unknown) => {
      if (slot.held) {
        slot.held = false;
        inflight--;
      }
      abort.call(c, reason);
    };
  };
  const interceptor: Interceptor = (next) => (req) => {
    if (opts.exempt.has(req.service.typeName)) return req.stream ? exemptStream(next)(req) : next(req);
    const slot = req.contextValues.get(reservationKey);
    if (slot?.held === true)
      slot.held = false; // the gate's slot is ours now
    else admit();
    if (!req.stream) {
      // unary: released when the answer (or the error) is in, with no closure of its own per call
      let answer: ReturnType<typeof next>;
      try {
        answer = next(req);
      } catch (e) {
        inflight--;
        throw e;
      }
      return answer.then(releaseWith, releaseAndThrow);
    }
    let released = false;
    const release = () => {
      if (!released) {
        released = true;
        inflight--;
      }
    };
    return observeCall(next, req, release);
  };
  const releaseWith = <T>(res: T): T => {
    inflight--;
    return res;
  };
  const releaseAndThrow = (e: unknown): never => {
    inflight--;
    throw e;
  };
  return Object.assign(interceptor, { inflight: () => inflight, gate });
}
