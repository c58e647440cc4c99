/**
 * What each change to the request path bought, per call, in isolation: the old way and the new way
 * of the same step, each timed in a loop on this process (median of 5 runs). The figures go to
 * docs/performance.md.
 *
 *   node --import tsx bench/micro.ts
 */
import { create, toBinary, toJsonString } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { pino } from "pino";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { v7 } from "uuid";
import { EventSchema, EventState } from "../gen/boxoffice/event/v1/event_pb.js";
import { EventService, GetEventResponseSchema } from "../gen/boxoffice/event/v1/event_service_pb.js";
import { EncodedAnswers } from "../platform/cache/index.js";
import { createRequestIdGenerator } from "../platform/ids/index.js";
import { RpcMetrics } from "../platform/metrics/index.js";

function time(label: string, n: number, f: (i: number) => unknown): number {
  const runs: number[] = [];
  let sink: unknown;
  for (let r = 0; r < 6; r++) {
    const t = performance.now();
    for (let i = 0; i < n; i++) sink = f(i);
    if (r > 0) runs.push(((performance.now() - t) * 1000) / n); // the first run warms up
  }
  if (sink === Symbol.for("never")) process.stdout.write("");
  runs.sort((a, b) => a - b);
  const us = runs[2]!;
  process.stdout.write(`  ${label.padEnd(64)} ${us.toFixed(3).padStart(8)} µs\n`);
  return us;
}

function pair(
  title: string,
  n: number,
  before: [string, (i: number) => unknown],
  after: [string, (i: number) => unknown],
) {
  process.stdout.write(`${title}\n`);
  const a = time(`before: ${before[0]}`, n, before[1]);
  const b = time(`after:  ${after[0]}`, n, after[1]);
  process.stdout.write(`  ${"saved per call".padEnd(64)} ${(a - b).toFixed(3).padStart(8)} µs\n\n`);
}

const method = EventService.method.getEvent;
const silent = pino({ level: "info" }, { write: () => undefined });

pair(
  "request id",
  200_000,
  ["UUIDv7 from the uuid package (random bytes each)", () => v7()],
  [
    "UUIDv7-shaped, random bits per process, counter per call",
    (
      (g) => () =>
        g()
    )(createRequestIdGenerator()),
  ],
);

{
  const registry = new Registry();
  const labels = ["service", "method", "code"] as const;
  const started = new Counter({ name: "s", help: "s", labelNames: ["service", "method"], registers: [registry] });
  const handled = new Counter({ name: "h", help: "h", labelNames: labels, registers: [registry] });
  const duration = new Histogram({ name: "d", help: "d", labelNames: labels, registers: [registry] });
  const inflight = new Gauge({ name: "i", help: "i", labelNames: ["service"], registers: [registry] });
  const rpc = new RpcMetrics(new Registry());
  const service = method.parent.typeName;
  pair(
    "RPC metrics of one call (started, in flight, handled, duration)",
    200_000,
    [
      "prom-client with label objects",
      () => {
        started.inc({ service, method: method.name });
        inflight.inc({ service });
        const stop = duration.startTimer({ service, method: method.name });
        stop({ code: "ok" });
        handled.inc({ service, method: method.name, code: "ok" });
        inflight.dec({ service });
      },
    ],
    [
      "per-method counters found by descriptor",
      () => {
        const s = rpc.of(method);
        s.begin();
        s.end(0, 0.0004);
      },
    ],
  );
}

pair(
  "call logger when the call logs nothing",
  200_000,
  ["pino child() per call", (i) => silent.child({ requestId: `r${i}`, procedure: "/x.Y/Z" })],
  ["made on first use", () => undefined],
);

{
  const shared = new Error("call ended");
  pair(
    "end of a call's signal",
    100_000,
    ["abort() without a reason (DOMException with a stack)", () => new AbortController().abort()],
    ["abort(shared reason)", () => new AbortController().abort(shared)],
  );
}

// a fresh request signal per call, as a server has (a long-lived one makes AbortSignal.any slower and slower)
pair(
  "default deadline of a unary call",
  100_000,
  [
    "AbortController + AbortSignal.any + timer + Promise.race",
    async () => {
      const request = new AbortController().signal;
      const timer = new AbortController();
      const h = setTimeout(() => timer.abort(), 15_000);
      const signal = AbortSignal.any([request, timer.signal]);
      const expired = new Promise<never>((_, reject) =>
        timer.signal.addEventListener("abort", () => reject(timer.signal.reason), { once: true }),
      );
      expired.catch(() => undefined);
      await Promise.race([Promise.resolve(signal), expired]);
      clearTimeout(h);
    },
  ],
  [
    "Connect's own timer + one abort listener",
    async () => {
      const request = new AbortController().signal;
      const h = setTimeout(() => undefined, 15_000);
      await new Promise<void>((resolve) => {
        const onAbort = () => undefined;
        request.addEventListener("abort", onAbort, { once: true });
        Promise.resolve().then(() => {
          request.removeEventListener("abort", onAbort);
          resolve();
        });
      });
      clearTimeout(h);
    },
  ],
);

{
  const event = create(EventSchema, {
    id: "01890000-0000-7000-8000-000000000001",
    organizerId: "01890000-0000-7000-8000-000000000002",
    venueId: "01890000-0000-7000-8000-000000000003",
    name: "Bench night 0",
    description: "An on-sale night at the bench arena: doors at seven, music at eight.",
    city: "Lisbon",
    timeZone: "Europe/Lisbon",
    state: EventState.PUBLISHED,
    startTime: timestampFromMs(Date.UTC(2030, 0, 1, 20)),
    endTime: timestampFromMs(Date.UTC(2030, 0, 1, 23)),
    salesStartTime: timestampFromMs(Date.UTC(2029, 11, 1)),
    salesEndTime: timestampFromMs(Date.UTC(2030, 0, 1, 20)),
    priceTiers: [
      { sectionId: "01890000-0000-7000-8000-000000000004", price: { currencyCode: "EUR", amountMinor: 4500n } },
    ],
    maxTicketsPerOrder: 10,
    layoutVersion: 1n,
    revision: 2n,
    createTime: timestampFromMs(Date.UTC(2029, 10, 1)),
    updateTime: timestampFromMs(Date.UTC(2029, 10, 2)),
    publishTime: timestampFromMs(Date.UTC(2029, 10, 2)),
  });
  const message = create(GetEventResponseSchema, { event });
  const answers = new EncodedAnswers(GetEventResponseSchema);
  const utf8 = new TextEncoder();
  pair(
    "GetEvent answer, Connect/JSON",
    50_000,
    ["toJsonString + UTF-8 per call", () => utf8.encode(toJsonString(GetEventResponseSchema, message))],
    ["prepared bytes of the version", () => answers.shared(event.id, "2.2", () => message).json()],
  );
  pair(
    "GetEvent answer, binary (gRPC, Connect proto)",
    50_000,
    ["toBinary per call", () => toBinary(GetEventResponseSchema, message)],
    [
      "toBinary of the carrier (bytes as unknown fields)",
      () => toBinary(GetEventResponseSchema, answers.shared(event.id, "2.2", () => message).carrier()),
    ],
  );
}
