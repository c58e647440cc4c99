/**
 * Distributed traces (OpenTelemetry): one handle per process ({@link createTracing}) holds the
 * context of the work in progress (AsyncLocalStorage, so a use-case's `ctx.client()` call or
 * outbox write finds the RPC or event it serves without being handed it), the propagators of the
 * mesh's headers (W3C `traceparent`/`tracestate` and B3, single and multi header) and, when an
 * OTLP endpoint is configured, the tracer whose spans are exported.
 *
 * Two modes. With an endpoint: a span per RPC, per outgoing call, per event written and handled,
 * sampled parent-based (the caller's decision, else `sampleRatio`). Without one (the default):
 * nothing is recorded; a call that brings trace headers or an `x-request-id` runs in that
 * context so the headers are forwarded on the calls it makes and written into the events it
 * emits (the Envoys of the mesh trace on their own and need the application to forward them);
 * a call that brings none costs a few header look-ups.
 */
import {
  type Attributes,
  type Context,
  createContextKey,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapSetter,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { B3InjectEncoding, B3Propagator } from "@opentelemetry/propagator-b3";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  type SpanExporter,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from "@opentelemetry/sdk-trace";

export { type Context, type Span, SpanKind, SpanStatusCode } from "@opentelemetry/api";

/** A trace context as it travels in an event envelope or a stored row (W3C Trace Context). */
export interface TraceFields {
  readonly traceparent: string;
  readonly tracestate: string;
}

export interface TracingOptions {
  /** `service.name` of the spans (`ticket`, or `boxoffice` for a process running several). */
  serviceName: string;
  /** More resource attributes (`service.instance.id`, …). */
  resource?: Attributes;
  /**
   * OTLP/HTTP collector base URL: spans go to `<url>/v1/traces` as OTLP JSON. Unset: no span is
   * recorded; trace headers are still forwarded.
   */
  otlpEndpoint?: string;
  /** Share of traces started here (no sampled parent) that are recorded, 0–1 (default 1). */
  sampleRatio?: number;
  /** Instead of OTLP (tests). */
  exporter?: SpanExporter;
  /** How long spans wait to be sent in a batch, ms (default 1000). */
  exportDelayMs?: number;
}

/** The request id of the call in progress, forwarded as `x-request-id` on the calls it makes. */
const requestIdContextKey = createContextKey("boxoffice request id");

const headerGetter: TextMapGetter<Headers> = {
  get: (h, key) => h.get(key) ?? undefined,
  keys: (h) => [...h.keys()],
};
const headerSetter: TextMapSetter<Headers> = { set: (h, key, value) => h.set(key, value) };
const recordGetter: TextMapGetter<Record<string, string>> = {
  get: (r, key) => r[key] || undefined,
  keys: (r) => Object.keys(r),
};
const recordSetter: TextMapSetter<Record<string, string>> = {
  set: (r, key, value) => {
    r[key] = value;
  },
};

/** Headers that say a call carries a trace context (or a request id to forward), lower case. */
export const traceContextHeaders = ["traceparent", "b3", "x-b3-traceid", "x-request-id"] as const;

const w3c = new W3CTraceContextPropagator();
const b3Extract = new B3Propagator();
const b3Multi = new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER });

/** The process's tracing: see the module comment. Made by {@link createTracing}; closed by {@link shutdown}. */
export class Tracing {
  /** True when spans are recorded and exported (an endpoint or an exporter is configured). */
  readonly recording: boolean;
  readonly #contexts = new AsyncLocalStorageContextManager();
  readonly #provider: TracerProvider | undefined;
  readonly #tracer: Tracer | undefined;

  constructor(o: TracingOptions) {
    const exporter =
      o.exporter ??
      (o.otlpEndpoint === undefined
        ? undefined
        : new OTLPTraceExporter({ url: `${o.otlpEndpoint.replace(/\/+$/, "")}/v1/traces` }));
    this.recording = exporter !== undefined;
    if (exporter !== undefined) {
      this.#provider = new TracerProvider({
        resource: resourceFromAttributes({ "service.name": o.serviceName, ...o.resource }),
        sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(o.sampleRatio ?? 1) }),
        spanProcessors: [new BatchSpanProcessor({ exporter, scheduledDelayMillis: o.exportDelayMs ?? 1000 })],
      });
      this.#tracer = this.#provider.getTracer("boxoffice");
    }
  }

  /** The context of the work in progress (the root context outside any). */
  active(): Context {
    return this.#contexts.active();
  }

  /** Runs `fn` in `ctx`: what it starts (awaits, calls, timers) sees `ctx` as active. */
  with<T>(ctx: Context, fn: () => T): T {
    return this.#contexts.with(ctx, fn);
  }

  /**
   * Whether `headers` carry anything to continue or forward. When false and nothing is recorded,
   * a call needs no context of its own (the cheap path).
   */
  carriesContext(headers: Headers): boolean {
    for (const h of traceContextHeaders) if (headers.has(h)) return true;
    return false;
  }

  /**
   * The remote parent in incoming headers: W3C `traceparent` (with `tracestate`) when valid, else
   * B3 (`b3` single header or `x-b3-*`). The root context when there is neither.
   */
  extract(headers: Headers): Context {
    const fromW3c = w3c.extract(ROOT_CONTEXT, headers, headerGetter);
    if (trace.getSpanContext(fromW3c) !== undefined) return fromW3c;
    return b3Extract.extract(ROOT_CONTEXT, headers, headerGetter);
  }

  /**
   * Writes `ctx`'s trace into outgoing headers: `traceparent`/`tracestate`, the B3 multi headers
   * (`x-b3-traceid`, `x-b3-spanid`, `x-b3-sampled`) as the mesh's Envoys read them, and the request
   * id as `x-request-id` unless the call sets its own.
   */
  inject(ctx: Context, headers: Headers): void {
    if (trace.getSpanContext(ctx) !== undefined) {
      w3c.inject(ctx, headers, headerSetter);
      b3Multi.inject(ctx, headers, headerSetter);
    }
    const requestId = ctx.getValue(requestIdContextKey);
    if (typeof requestId === "string" && !headers.has("x-request-id")) headers.set("x-request-id", requestId);
  }

  /** `ctx` carrying the request id of the call (forwarded by {@link inject}). */
  withRequestId(ctx: Context, requestId: string): Context {
    return ctx.setValue(requestIdContextKey, requestId);
  }

  /**
   * Starts a span (when recording) as a child of `parent` and returns it with the context it is
   * active in; when not recording, no span and `parent` itself.
   */
  start(name: string, kind: SpanKind, attributes: Attributes, parent: Context): { span?: Span; ctx: Context } {
    if (this.#tracer === undefined) return { ctx: parent };
    const span = this.#tracer.startSpan(name, { kind, attributes }, parent);
    return { span, ctx: trace.setSpan(parent, span) };
  }

  /** `ctx`'s trace as W3C fields (undefined when it has none), for an envelope or a row. */
  fields(ctx: Context = this.active()): TraceFields | undefined {
    if (trace.getSpanContext(ctx) === undefined) return undefined;
    const out: Record<string, string> = {};
    w3c.inject(ctx, out, recordSetter);
    return out.traceparent === undefined
      ? undefined
      : { traceparent: out.traceparent, tracestate: out.tracestate ?? "" };
  }

  /** The context stored in `fields` (the root context when empty or malformed). */
  fromFields(fields: Partial<TraceFields> | undefined): Context {
    if (fields?.traceparent === undefined || fields.traceparent === "") return ROOT_CONTEXT;
    return w3c.extract(
      ROOT_CONTEXT,
      { traceparent: fields.traceparent, tracestate: fields.tracestate ?? "" },
      recordGetter,
    );
  }

  /**
   * The trace fields an event written now carries: a PRODUCER span (when recording) under the
   * work in progress, ended at once (the relay publishes the row later; consumers continue from
   * it), else the work in progress's own context.
   */
  producerFields(name: string, attributes: Attributes): TraceFields | undefined {
    const parent = this.active();
    const { span, ctx } = this.start(name, SpanKind.PRODUCER, attributes, parent);
    span?.end();
    return this.fields(ctx);
  }

  /**
   * Runs `fn` continuing the trace in `fields` (an event's envelope, a stored row): under a span of
   * `kind` when recording (ended with `fn`, an error marking it failed), else in the stored context
   * so what `fn` calls or writes carries it on.
   */
  async continueFrom<T>(
    fields: Partial<TraceFields> | undefined,
    name: string,
    kind: SpanKind,
    attributes: Attributes,
    fn: (span: Span | undefined) => Promise<T>,
  ): Promise<T> {
    const parent = this.fromFields(fields);
    if (this.#tracer === undefined && parent === ROOT_CONTEXT) return fn(undefined);
    const { span, ctx } = this.start(name, kind, attributes, parent);
    try {
      const out = await this.with(ctx, () => fn(span));
      span?.end();
      return out;
    } catch (e) {
      span?.setStatus({ code: SpanStatusCode.ERROR, message: e instanceof Error ? e.message.slice(0, 200) : "failed" });
      span?.end();
      throw e;
    }
  }

  /** Fields for every log line written in a traced context (pino `mixin`): `trace_id`, `span_id`. */
  logFields(): Record<string, string> {
    const sc = trace.getSpanContext(this.#contexts.active());
    return sc === undefined ? {} : { trace_id: sc.traceId, span_id: sc.spanId };
  }

  /** Sends the spans waiting in the batch now. */
  async flush(): Promise<void> {
    await this.#provider?.forceFlush();
  }

  /** Sends what is waiting, then stops exporting. */
  async shutdown(): Promise<void> {
    await this.#provider?.shutdown();
  }
}

/** The process's tracing (see {@link Tracing}). */
export function createTracing(o: TracingOptions): Tracing {
  return new Tracing(o);
}
