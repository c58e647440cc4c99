import type { Interceptor } from "@connectrpc/connect";
import { ResourceExhaustedError, UnavailableError } from "../errors.js";
import { observeCall } from "../stream.js";

export interface AdmissionOptions {
  /** Calls in progress (unary and streams) above which new calls are shed. */
  maxInflight: number;
  /** True once the process is draining: new calls are refused with UNAVAILABLE. */
  isDraining: () => boolean;
  /** Services never shed or refused (health, reflection): probes must see the truth. */
  exempt: ReadonlySet<string>;
}

/**
 * Load shedding, innermost: when more than `maxInflight` calls are in progress the next one gets
 * RESOURCE_EXHAUSTED at once (cheap) instead of queueing behind work that will miss its deadline;
 * while draining, new calls get UNAVAILABLE so the client (or the mesh) retries another instance.
 */
export function admissionInterceptor(opts: AdmissionOptions): Interceptor & { inflight: () => number } {
  let inflight = 0;
  const interceptor: Interceptor = (next) => (req) => {
    if (opts.exempt.has(req.service.typeName)) return next(req);
    if (opts.isDraining()) throw new UnavailableError("DRAINING", "server is shutting down; retry on another instance");
    if (inflight >= opts.maxInflight) {
      throw new ResourceExhaustedError(
        "OVERLOADED",
        `server is at its limit of ${opts.maxInflight} calls in progress`,
        200,
      );
    }
    inflight++;
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
  return Object.assign(interceptor, { inflight: () => inflight });
}
