import assert from "node:assert/strict";
import { create, type DescMethod, type Message } from "@bufbuild/protobuf";
import type { Interceptor } from "@connectrpc/connect";
import { CreateVenueRequestSchema, GetEventRequestSchema } from "../../../gen/boxoffice/event/v1/event_service_pb.js";
import {
  TicketService,
  type WatchOrderRequest,
  WatchOrderRequestSchema,
} from "../../../gen/boxoffice/ticket/v1/ticket_service_pb.js";
import { InvalidArgumentError } from "../errors.js";
import { createRequestValidator, maxReportedViolations, validationInterceptor } from "./validate.js";

type AnyReq = Parameters<Parameters<Interceptor>[0]>[0];

const validId = "0190a4b2-8e8c-7d1e-9f00-123456789abc";
const watchOrder = TicketService.method.watchOrder;

async function* of<T>(...items: T[]): AsyncIterable<T> {
  yield* items;
}

/** A streaming request as connect-node hands it to interceptors, for `method` (kind overridable). */
function streamReq(method: DescMethod, messages: AsyncIterable<Message>, kind = method.methodKind): AnyReq {
  return {
    stream: true,
    message: messages,
    method: { ...method, methodKind: kind },
    service: method.parent,
    header: new Headers(),
    contextValues: undefined,
  } as unknown as AnyReq;
}

const interceptor = validationInterceptor([TicketService]);

/** Runs `req` through the interceptor; `next` reads the request stream the way a handler would. */
async function run(req: AnyReq): Promise<{ handled: Message[]; error?: unknown }> {
  const handled: Message[] = [];
  const next = (async (r: AnyReq) => {
    if (r.stream) for await (const m of r.message) handled.push(m);
    return { stream: false, message: {} } as never;
  }) as Parameters<Interceptor>[0];
  try {
    await interceptor(next)(req);
    return { handled };
  } catch (error) {
    return { handled, error };
  }
}

const violationsOf = (e: unknown) => {
  assert.ok(e instanceof InvalidArgumentError, `expected InvalidArgumentError, got ${String(e)}`);
  return e.violations;
};

describe("validation interceptor (protovalidate rules → BadRequest field violations)", () => {
  const validator = createRequestValidator();

  it("reports snake_case paths with list indexes and oneof names, the rule id as reason", () => {
    const { list } = validator.violations(
      CreateVenueRequestSchema,
      create(CreateVenueRequestSchema, {
        requestId: validId,
        venue: {
          name: "Hall",
          addressLine: "Street 1",
          city: "Porto",
          countryCode: "PT",
          timeZone: "Europe/Lisbon",
          sections: [
            { name: "A", kind: { case: "reservedSeating", value: { rows: [{ label: "", seats: [] }] } } },
            { name: "B" },
          ],
        },
      }),
    );
    assert.deepEqual(
      list.map((v) => [v.field, v.reason]),
      [
        ["venue.sections[0].reserved_seating.rows[0].label", "required"],
        ["venue.sections[0].reserved_seating.rows[0].seats", "repeated.min_items"],
        ["venue.sections[1].kind", "required"],
      ],
    );
  });

  it(`reports at most ${maxReportedViolations} violations and says how many there were`, () => {
    const sections = Array.from({ length: 50 }, () => ({
      name: "",
      kind: { case: "generalAdmission" as const, value: { capacity: 1 } },
    }));
    const req = create(CreateVenueRequestSchema, {
      requestId: validId,
      venue: { name: "H", addressLine: "S", city: "C", countryCode: "PT", timeZone: "UTC", sections },
    });
    assert.equal(validator.violations(CreateVenueRequestSchema, req).total, 50);
    try {
      validator.check(CreateVenueRequestSchema, req);
      assert.fail("expected INVALID_ARGUMENT");
    } catch (e) {
      assert.equal(violationsOf(e).length, maxReportedViolations);
      assert.match((e as Error).message, /^invalid venue\.sections\[0\]\.name: value is required \(and 49 more\)$/);
    }
  });

  it("never quotes the input: a 300 KB id yields a message of a few dozen characters", () => {
    try {
      validator.check(GetEventRequestSchema, create(GetEventRequestSchema, { eventId: "x".repeat(300_000) }));
      assert.fail("expected INVALID_ARGUMENT");
    } catch (e) {
      assert.deepEqual(violationsOf(e), [
        { field: "event_id", description: "must be a valid UUID", reason: "string.uuid" },
      ]);
      assert.ok((e as Error).message.length < 100);
    }
  });

  it("refuses a server-streaming request before the handler reads it; a valid one reaches the handler whole", async () => {
    const bad = await run(streamReq(watchOrder, of(create(WatchOrderRequestSchema, { orderId: "nope" }))));
    assert.deepEqual(violationsOf(bad.error), [
      { field: "order_id", description: "must be a valid UUID", reason: "string.uuid" },
    ]);
    assert.equal(bad.handled.length, 0, "next was never called");
    const good = await run(streamReq(watchOrder, of(create(WatchOrderRequestSchema, { orderId: validId }))));
    assert.equal(good.error, undefined);
    assert.deepEqual(
      good.handled.map((m) => (m as WatchOrderRequest).orderId),
      [validId],
    );
  });

  it("checks client and bidi streams message by message as the handler reads them", async () => {
    const msgs = of(
      create(WatchOrderRequestSchema, { orderId: validId }),
      create(WatchOrderRequestSchema, { orderId: "" }),
      create(WatchOrderRequestSchema, { orderId: validId }),
    );
    const { handled, error } = await run(streamReq(watchOrder, msgs, "bidi_streaming"));
    assert.equal(handled.length, 1, "the first message reached the handler, the second was refused");
    assert.deepEqual(violationsOf(error), [
      { field: "order_id", description: "value is required", reason: "required" },
    ]);
  });
});
