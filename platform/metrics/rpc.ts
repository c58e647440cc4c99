import type { DescMethod } from "@bufbuild/protobuf";
import type { Registry } from "prom-client";

/** Histogram buckets of `rpc_server_handling_seconds`. */
export const rpcDurationBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The snake_case name of each gRPC code, as Connect and the `code` label spell it. */
export const codeNames: readonly string[] = [
  "ok",
  "canceled",
  "unknown",
  "invalid_argument",
  "deadline_exceeded",
  "not_found",
  "already_exists",
  "permission_denied",
  "resource_exhausted",
  "failed_precondition",
  "aborted",
  "out_of_range",
  "unimplemented",
  "internal",
  "unavailable",
  "data_loss",
  "unauthenticated",
];

/** Counts of one RPC method; found once per method, then updated with plain arithmetic. */
export class MethodStats {
  started = 0;
  /** Per code: calls finished, their total duration, and the (non-cumulative) bucket counts. */
  readonly handled: number[] = new Array<number>(codeNames.length).fill(0);
  readonly seconds: number[] = new Array<number>(codeNames.length).fill(0);
  readonly buckets: (number[] | undefined)[] = new Array(codeNames.length);
  constructor(
    readonly service: string,
    readonly method: string,
    readonly inflight: { n: number },
  ) {}

  begin(): void {
    this.started++;
    this.inflight.n++;
  }

  /** A call ended with `code` (0 = ok) after `seconds`. */
  end(code: number, seconds: number): void {
    this.inflight.n--;
    const c = code >= 0 && code < codeNames.length ? code : 2;
    this.handled[c]!++;
    this.seconds[c]! += seconds;
    const b = (this.buckets[c] ??= new Array<number>(rpcDurationBuckets.length + 1).fill(0));
    let i = 0;
    while (i < rpcDurationBuckets.length && seconds > rpcDurationBuckets[i]!) i++;
    b[i]!++;
  }
}

type Value = { labels: Record<string, string | number>; value: number; metricName?: string };

/**
 * The RPC metrics of a process: started, handled (by code), duration histogram (by code), in
 * flight (by service). prom-client hashes and validates the label set on every `inc`/`observe`,
 * even through `labels()` children — a visible cost at tens of thousands of calls per second — so
 * the counts live in plain per-method objects ({@link MethodStats}, resolved once per method) and
 * are handed to the registry only when /metrics is scraped, in prom-client's own format.
 */
export class RpcMetrics {
  readonly #byMethod = new WeakMap<DescMethod, MethodStats>();
  readonly #all: MethodStats[] = [];
  readonly #inflight = new Map<string, { n: number }>();

  constructor(registry: Registry) {
    const metric = (name: string, help: string, type: "counter" | "gauge" | "histogram", values: () => Value[]) =>
      registry.registerMetric({
        name,
        help,
        type,
        aggregator: "sum",
        get: async () => ({ name, help, type, aggregator: "sum", values: values() }),
      } as unknown as Parameters<Registry["registerMetric"]>[0]);
    metric("rpc_server_started_total", "RPCs started, by service and method.", "counter", () =>
      this.#all.map((s) => ({ labels: { service: s.service, method: s.method }, value: s.started })),
    );
    metric("rpc_server_handled_total", "RPCs finished, by service, method and status code.", "counter", () =>
      this.#perCode((s, c, labels) => [{ labels, value: s.handled[c]! }]),
    );
    metric(
      "rpc_server_handling_seconds",
      "Time from the start of an RPC to its last response message, by service, method and code.",
      "histogram",
      () =>
        this.#perCode((s, c, labels) => {
          const out: Value[] = [];
          let sum = 0;
          const b = s.buckets[c]!;
          for (let i = 0; i <= rpcDurationBuckets.length; i++) {
            sum += b[i]!;
            const le = i < rpcDurationBuckets.length ? rpcDurationBuckets[i]! : "+Inf";
            out.push({ metricName: "rpc_server_handling_seconds_bucket", labels: { le, ...labels }, value: sum });
          }
          out.push({ metricName: "rpc_server_handling_seconds_sum", labels, value: s.seconds[c]! });
          out.push({ metricName: "rpc_server_handling_seconds_count", labels, value: s.handled[c]! });
          return out;
        }),
    );
    metric("rpc_server_inflight", "RPCs in progress, by service.", "gauge", () =>
      [...this.#inflight].map(([service, g]) => ({ labels: { service }, value: g.n })),
    );
  }

  /** The stats of `method`, created on its first call. */
  of(method: DescMethod): MethodStats {
    let s = this.#byMethod.get(method);
    if (s === undefined) {
      const service = method.parent.typeName;
      let inflight = this.#inflight.get(service);
      if (inflight === undefined) this.#inflight.set(service, (inflight = { n: 0 }));
      s = new MethodStats(service, method.name, inflight);
      this.#byMethod.set(method, s);
      this.#all.push(s);
    }
    return s;
  }

  #perCode(f: (s: MethodStats, code: number, labels: Record<string, string>) => Value[]): Value[] {
    const out: Value[] = [];
    for (const s of this.#all)
      for (let c = 0; c < codeNames.length; c++)
        if (s.handled[c]! > 0) out.push(...f(s, c, { service: s.service, method: s.method, code: codeNames[c]! }));
    return out;
  }
}
