import { ConnectError, type Interceptor } from "@connectrpc/connect";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { codeName } from "../rpc/interceptors/request-log.js";
import { observeCall } from "../rpc/stream.js";

/** The metrics of one process: a registry of its own (never prom-client's global one, so tests can build many). */
export interface Metrics {
  readonly registry: Registry;
  readonly rpcStarted: Counter<"service" | "method">;
  readonly rpcHandled: Counter<"service" | "method" | "code">;
  readonly rpcDuration: Histogram<"service" | "method" | "code">;
  readonly rpcInflight: Gauge<"service">;
}

/** Creates a registry with the process defaults (CPU, memory, event loop lag) and the RPC metrics. */
export function createMetrics(
  opts: { defaultLabels?: Record<string, string>; collectDefaults?: boolean } = {},
): Metrics {
  const registry = new Registry();
  if (opts.defaultLabels) registry.setDefaultLabels(opts.defaultLabels);
  if (opts.collectDefaults ?? true) collectDefaultMetrics({ register: registry });
  return {
    registry,
    rpcStarted: new Counter({
      name: "rpc_server_started_total",
      help: "RPCs started, by service and method.",
      labelNames: ["service", "method"],
      registers: [registry],
    }),
    rpcHandled: new Counter({
      name: "rpc_server_handled_total",
      help: "RPCs finished, by service, method and status code.",
      labelNames: ["service", "method", "code"],
      registers: [registry],
    }),
    rpcDuration: new Histogram({
      name: "rpc_server_handling_seconds",
      help: "Time from the start of an RPC to its last response message, by service, method and code.",
      labelNames: ["service", "method", "code"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    rpcInflight: new Gauge({
      name: "rpc_server_inflight",
      help: "RPCs in progress, by service.",
      labelNames: ["service"],
      registers: [registry],
    }),
  };
}

/** Counts every RPC and measures its latency; sees the final code (it runs outside error mapping). */
export function metricsInterceptor(m: Metrics): Interceptor {
  return (next) => async (req) => {
    const service = req.service.typeName;
    const method = req.method.name;
    m.rpcStarted.inc({ service, method });
    m.rpcInflight.inc({ service });
    const stop = m.rpcDuration.startTimer({ service, method });
    const finish = (err: unknown) => {
      const code = err === undefined ? "ok" : codeName(ConnectError.from(err));
      stop({ code });
      m.rpcHandled.inc({ service, method, code });
      m.rpcInflight.dec({ service });
    };
    return observeCall(next, req, finish);
  };
}
