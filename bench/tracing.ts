/**
 * What tracing adds to one RPC, in isolation: the server interceptor in front of a handler that
 * answers at once, each call awaited, in this process (median of 5 runs after a warm-up). The
 * modes: no exporter and no trace headers (the default path), no exporter with a `traceparent`
 * (the context is kept so the headers are forwarded: AsyncLocalStorage), and recording (a span
 * per call, batched to an exporter that drops them). Node enables its promise hooks the first
 * time AsyncLocalStorage runs, which taxes every promise in the process afterwards, so the bare
 * chain is timed again at the end. Figures go to docs/performance.md.
 *
 *   make bench-tracing    (node --import tsx bench/tracing.ts)
 */
import type { Interceptor } from "@connectrpc/connect";
import type { SpanExporter } from "@opentelemetry/sdk-trace";
import { EchoService } from "../gen/boxoffice/testing/v1/echo_service_pb.js";
import { createRequestIdGenerator } from "../platform/ids/index.js";
import { carriesTraceKey, tracingInterceptor } from "../platform/rpc/interceptors/tracing.js";
import { createTracing, type Tracing } from "../platform/tracing/index.js";

type Next = Parameters<Interceptor>[0];
type Req = Parameters<Next>[0];

const method = EchoService.method.echo;
const answer = { stream: false, message: {}, header: new Headers(), trailer: new Headers() } as unknown as Awaited<
  ReturnType<Next>
>;
const handler: Next = async () => answer;

function request(headers: Record<string, string>): Req {
  return {
    stream: false,
    service: EchoService,
    method,
    header: new Headers({ "content-type": "application/json", ...headers }),
    contextValues: new Map() as unknown,
    message: {},
    signal: new AbortController().signal,
    url: "",
    requestMethod: "POST",
  } as unknown as Req;
}

async function time(label: string, n: number, call: () => Promise<unknown>): Promise<number> {
  const runs: number[] = [];
  for (let r = 0; r < 6; r++) {
    const t = performance.now();
    for (let i = 0; i < n; i++) await call();
    if (r > 0) runs.push(((performance.now() - t) * 1e6) / n);
  }
  runs.sort((a, b) => a - b);
  const ns = runs[2]!;
  process.stdout.write(`  ${label.padEnd(70)} ${ns.toFixed(0).padStart(7)} ns\n`);
  return ns;
}

const dropping: SpanExporter = {
  export: (_spans, done) => done({ code: 0 }),
  shutdown: async () => undefined,
};

const chain = (t: Tracing) =>
  tracingInterceptor(t, { newRequestId: createRequestIdGenerator(), untraced: new Set() })(handler);
const contextValues = () => {
  const m = new Map<symbol, unknown>();
  return {
    get: (k: { id: symbol; defaultValue: unknown }) => m.get(k.id) ?? k.defaultValue,
    set: (k: { id: symbol }, v: unknown) => m.set(k.id, v),
  };
};
const withValues = (r: Req) => Object.assign(r, { contextValues: contextValues() });

const n = Number(process.env.BENCH_TRACING_CALLS ?? 100_000);
const quiet = createTracing({ serviceName: "bench" });
const recording = createTracing({ serviceName: "bench", exporter: dropping });
const plain = withValues(request({}));
// as our adapter hands calls over: whether trace headers came is read from Node's header object
const adapted = withValues(request({}));
adapted.contextValues.set(carriesTraceKey, false);
const quietChain = chain(quiet);
const recordingChain = chain(recording);
const tracedHeaders = request({ traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" }).header;
// a fresh call context per call (the interceptor writes the request id into it), the same headers
const traced = () => withValues({ ...plain, header: tracedHeaders });

process.stdout.write(
  `Tracing per RPC (server interceptor + a handler that answers at once), ${n} calls, median of 5\n`,
);
const bare = await time("no tracing interceptor", n, () => handler(plain));
const fast = await time("no exporter, no trace headers (the default path, our adapter)", n, () => quietChain(adapted));
await time("no exporter, no trace headers (asking undici Headers: 4 look-ups)", n, () => quietChain(plain));
const ctx = await time("no exporter, traceparent (context kept, headers forwarded)", n, () => quietChain(traced()));
const rec = await time("exporter, traceparent (a span per call)", n, () => recordingChain(traced()));
const after = await time("no tracing interceptor, after AsyncLocalStorage first ran", n, () => handler(plain));
process.stdout.write(
  `\n  default path adds ${(fast - bare).toFixed(0)} ns; forwarding ${(ctx - bare).toFixed(0)} ns; recording ${(rec - bare).toFixed(0)} ns; ` +
    `promise hooks once enabled: +${(after - bare).toFixed(0)} ns on a bare awaited call\n`,
);
await recording.shutdown();
