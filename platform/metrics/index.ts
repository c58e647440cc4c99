import { ConnectError, createContextKey, type HandlerContext, type Interceptor } from "@connectrpc/connect";
import { collectDefaultMetrics, Registry } from "prom-client";
import { observeCall } from "../rpc/stream.js";
import { BreakerStates } from "./breakers.js";
import { RpcMetrics } from "./rpc.js";

export { BreakerStates } from "./breakers.js";
export { codeNames, MethodStats, RpcMetrics } from "./rpc.js";

/** The metrics of one process: a registry of its own (never prom-client's global one, so tests can build many). */
export interface Metrics {
  readonly registry: Registry;
  /** rpc_server_started_total, rpc_server_handled_total, rpc_server_handling_seconds, rpc_server_inflight. */
  readonly rpc: RpcMetrics;
  /** circuit_breaker_state: every breaker of the process's outgoing calls. */
  readonly breakers: BreakerStates;
}

/** Creates a registry with the process defaults (CPU, memory, event loop lag) and the RPC metrics. */
export function createMetrics(
  opts: { defaultLabels?: Record<string, string>; collectDefaults?: boolean } = {},
): Metrics {
  const registry = new Registry();
  if (opts.defaultLabels) registry.setDefaultLabels(opts.defaultLabels);
  if (opts.collectDefaults ?? true) collectDefaultMetrics({ register: registry });
  return { registry, rpc: new RpcMetrics(registry), breakers: new BreakerStates(registry) };
}

/** The code an RPC ended with: 0 when it succeeded. */
export function codeOf(err: unknown): number {
  if (err === undefined) return 0;
  return err instanceof ConnectError ? err.code : ConnectError.from(err).code;
}

/**
 * Counts every RPC and measures its latency; sees the final code (it runs outside error mapping).
 * The method's counters are looked up once per call by descriptor; nothing else is allocated but
 * the completion callback.
 */
export function metricsInterceptor(m: Metrics): Interceptor {
  return (next) => (req) => {
    const seen = req.contextValues.get(seenKey);
    if (seen !== undefined) seen.counted = true;
    const stats = m.rpc.of(req.method);
    stats.begin();
    const started = performance.now();
    return observeCall(next, req, (err) => stats.end(codeOf(err), (performance.now() - started) / 1000));
  };
}

/** Set by {@link countCallsEndingEarly}; the interceptor marks the calls it counts. */
const seenKey = createContextKey<{ counted: boolean } | undefined>(undefined, { description: "metrics: seen" });

/**
 * For the request gate: counts the calls that end before the interceptors run — refused in the
 * gate, their body cut off at the deadline, undecodable — which the interceptor never sees. It
 * hooks the end of the call (Connect's `abort`, called with the error before it is written, and
 * with no reason once a call is done) and reads the code after the gates hooked before it ran,
 * so an error they re-code in place is counted with its final code.
 */
export function countCallsEndingEarly(m: Metrics, ctx: HandlerContext): void {
  const c = ctx as HandlerContext & { abort?: (reason?: unknown) => void };
  const abort = c.abort;
  if (typeof abort !== "function") return;
  const seen = { counted: false };
  ctx.values.set(seenKey, seen);
  const started = performance.now();
  c.abort = (reason?: unknown) => {
    abort.call(c, reason);
    if (!seen.counted && reason !== undefined) {
      seen.counted = true;
      const stats = m.rpc.of(ctx.method);
      stats.begin();
      stats.end(codeOf(reason), (performance.now() - started) / 1000);
    }
  };
}
