/**
 * Trace propagation through the interceptors, in memory (connect's router transport, no sockets):
 * what a service receives is carried to the calls it makes and the events it writes, in both
 * modes — recording (spans to an in-memory exporter) and the default, where nothing is recorded
 * but the mesh's headers are still forwarded.
 */
import assert from "node:assert/strict";
import { type Client, createClient, createRouterTransport, type Interceptor } from "@connectrpc/connect";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace";
import { EchoService } from "../../gen/boxoffice/testing/v1/echo_service_pb.js";
import { tracingClientInterceptor } from "../clients/tracing.js";
import { createRequestIdGenerator } from "../ids/index.js";
import { createLogger } from "../log/index.js";
import { requestIdKey } from "../rpc/context.js";
import { tracingInterceptor } from "../rpc/interceptors/tracing.js";
import { createTracing, SpanKind, type TraceFields, type Tracing } from "./index.js";

const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
const parentId = "00f067aa0ba902b7";

interface Seen {
  /** Headers of the downstream call the handler made. */
  outgoing?: Headers;
  /** What an event written by the handler would carry. */
  fields?: TraceFields;
  requestId?: string;
  log?: Record<string, string>;
}

/**
 * A service whose handler calls a downstream echo through a `ctx.client()`-like client: returns
 * the client of the front service and what the handler saw.
 */
function stack(tracing: Tracing): { front: Client<typeof EchoService>; seen: Seen } {
  const seen: Seen = {};
  const capture: Interceptor = (next) => (req) => {
    seen.outgoing = new Headers(req.header);
    return next(req);
  };
  const downstream = createClient(
    EchoService,
    createRouterTransport(({ service }) => service(EchoService, { echo: (r) => ({ message: r.message }) }), {
      transport: { interceptors: [tracingClientInterceptor(tracing, "downstream"), capture] },
    }),
  );
  const front = createClient(
    EchoService,
    createRouterTransport(
      ({ service }) =>
        service(EchoService, {
          async echo(r, ctx) {
            await new Promise((res) => setTimeout(res, 1)); // the context survives awaits and timers
            seen.fields = tracing.producerFields("create test", {});
            seen.requestId = ctx.values.get(requestIdKey);
            seen.log = tracing.logFields();
            await downstream.echo({ message: r.message });
            return { message: r.message };
          },
        }),
      {
        router: {
          interceptors: [
            tracingInterceptor(tracing, { newRequestId: createRequestIdGenerator(), untraced: new Set() }),
          ],
        },
      },
    ),
  );
  return { front, seen };
}

describe("tracing: propagation through the RPC interceptors", () => {
  describe("without an exporter (the default): nothing recorded, headers forwarded", () => {
    const tracing = createTracing({ serviceName: "test" });

    it("forwards an incoming W3C trace as traceparent and B3 multi headers, with the request id", async () => {
      const { front, seen } = stack(tracing);
      await front.echo(
        { message: "x" },
        { headers: { traceparent: `00-${traceId}-${parentId}-01`, tracestate: "k=v", "x-request-id": "req-1" } },
      );
      assert.equal(tracing.recording, false);
      const out = seen.outgoing!;
      // nothing recorded here: the caller's span is the parent the next hop sees (as with Envoy alone)
      assert.equal(out.get("traceparent"), `00-${traceId}-${parentId}-01`);
      assert.equal(out.get("tracestate"), "k=v");
      assert.equal(out.get("x-b3-traceid"), traceId);
      assert.equal(out.get("x-b3-spanid"), parentId);
      assert.equal(out.get("x-b3-sampled"), "1");
      assert.equal(out.get("x-request-id"), "req-1");
      assert.equal(seen.requestId, "req-1");
      assert.deepEqual(seen.fields, { traceparent: `00-${traceId}-${parentId}-01`, tracestate: "k=v" });
      assert.deepEqual(seen.log, { trace_id: traceId, span_id: parentId });
    });

    it("honours a B3 single header and a B3 multi header", async () => {
      for (const headers of [
        { b3: `${traceId}-${parentId}-1` },
        { "x-b3-traceid": traceId, "x-b3-spanid": parentId, "x-b3-sampled": "1" },
      ]) {
        const { front, seen } = stack(tracing);
        await front.echo({ message: "x" }, { headers });
        assert.equal(seen.outgoing!.get("traceparent"), `00-${traceId}-${parentId}-01`, JSON.stringify(headers));
        assert.equal(seen.outgoing!.get("x-b3-traceid"), traceId);
      }
    });

    it("log lines written in a traced context carry trace_id and span_id (the process logger's mixin)", () => {
      const lines: string[] = [];
      const logger = createLogger({
        level: "info",
        destination: { write: (l: string) => void lines.push(l) },
        mixin: () => tracing.logFields(),
      });
      const remote = tracing.extract(new Headers({ traceparent: `00-${traceId}-${parentId}-01` }));
      tracing.with(remote, () => logger.child({ part: "x" }).info("inside"));
      logger.info("outside");
      const [inside, outside] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.equal(inside!.trace_id, traceId);
      assert.equal(inside!.span_id, parentId);
      assert.equal(outside!.trace_id, undefined);
    });

    it("adds nothing to a call that brings no trace and no request id", async () => {
      const { front, seen } = stack(tracing);
      await front.echo({ message: "x" });
      assert.equal(seen.outgoing!.get("traceparent"), null);
      assert.equal(seen.outgoing!.get("x-b3-traceid"), null);
      assert.equal(seen.outgoing!.get("x-request-id"), null);
      assert.equal(seen.fields, undefined);
      assert.deepEqual(seen.log, {});
    });
  });

  describe("with an exporter: a span per RPC, per call and per event written", () => {
    const exporter = new InMemorySpanExporter();
    const tracing = createTracing({ serviceName: "test", exporter, exportDelayMs: 10 });
    after(() => tracing.shutdown());

    it("server span under the caller's, client span under it, the downstream sees the client span", async () => {
      exporter.reset();
      const { front, seen } = stack(tracing);
      await front.echo({ message: "x" }, { headers: { traceparent: `00-${traceId}-${parentId}-01` } });
      await tracing.flush();
      const spans = exporter.getFinishedSpans();
      const server = spans.find((s) => s.name === "boxoffice.testing.v1.EchoService/Echo" && s.kind === 1)!;
      const client = spans.find((s) => s.kind === 2)!;
      const producer = spans.find((s) => s.name === "create test")!;
      assert.equal(server.parentSpanContext?.spanId, parentId);
      assert.equal(server.attributes["rpc.grpc.status_code"], 0);
      assert.equal(typeof server.attributes["boxoffice.request_id"], "string");
      assert.equal(client.parentSpanContext?.spanId, server.spanContext().spanId);
      assert.equal(producer.parentSpanContext?.spanId, server.spanContext().spanId);
      for (const s of spans) assert.equal(s.spanContext().traceId, traceId);
      assert.equal(seen.outgoing!.get("traceparent"), `00-${traceId}-${client.spanContext().spanId}-01`);
      assert.equal(seen.outgoing!.get("x-b3-spanid"), client.spanContext().spanId);
      assert.equal(seen.fields!.traceparent, `00-${traceId}-${producer.spanContext().spanId}-01`);
    });

    it("starts a new trace for a call that brings none", async () => {
      exporter.reset();
      const { front, seen } = stack(tracing);
      await front.echo({ message: "x" });
      await tracing.flush();
      const server = exporter.getFinishedSpans().find((s) => s.kind === 1)!;
      assert.equal(server.parentSpanContext, undefined);
      assert.match(seen.outgoing!.get("traceparent") ?? "", new RegExp(`^00-${server.spanContext().traceId}-`));
    });

    it("continues the trace stored with queued work (an envelope, a notification row)", async () => {
      exporter.reset();
      const fields = { traceparent: `00-${traceId}-${parentId}-01`, tracestate: "" };
      const inside = await tracing.continueFrom(fields, "process test", SpanKind.CONSUMER, {}, async () =>
        tracing.fields(),
      );
      await tracing.flush();
      const [consumer] = exporter.getFinishedSpans();
      assert.equal(consumer!.parentSpanContext?.spanId, parentId);
      assert.equal(inside!.traceparent, `00-${traceId}-${consumer!.spanContext().spanId}-01`);
    });
  });
});
