import { ConnectError, type Interceptor } from "@connectrpc/connect";
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
    const stats = m.rpc.of(req.method);
    stats.begin();
    const started = performance.now();
    return observeCall(next, req, (err) => stats.end(codeOf(err), (performance.now() - started) / 1000));
  };
}
