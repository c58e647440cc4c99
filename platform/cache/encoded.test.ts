import assert from "node:assert/strict";
import { create, equals, fromBinary, toBinary, toJsonString } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { EventSchema, EventState } from "../../gen/boxoffice/event/v1/event_pb.js";
import { GetEventResponseSchema } from "../../gen/boxoffice/event/v1/event_service_pb.js";
import { EncodedAnswers } from "./encoded.js";

const response = (name: string, revision: bigint) =>
  create(GetEventResponseSchema, {
    event: create(EventSchema, {
      id: "01890000-0000-7000-8000-000000000001",
      name,
      description: "naïve café — 🎟",
      state: EventState.PUBLISHED,
      startTime: timestampFromMs(Date.UTC(2030, 0, 1, 20)),
      endTime: timestampFromMs(Date.UTC(2030, 0, 1, 23)),
      priceTiers: [{ sectionId: "s1", price: { currencyCode: "EUR", amountMinor: 4500n } }],
      revision,
    }),
  });

describe("EncodedAnswers: responses encoded once per version", () => {
  it("serves the same bytes Connect would encode, in JSON and binary", () => {
    const answers = new EncodedAnswers(GetEventResponseSchema);
    const message = response("Opening night", 3n);
    const a = answers.shared("e1", "r3", () => message);
    assert.deepEqual(Buffer.from(a.json()), Buffer.from(toJsonString(GetEventResponseSchema, message)));
    const carried = toBinary(GetEventResponseSchema, a.carrier());
    assert.deepEqual(Buffer.from(carried), Buffer.from(toBinary(GetEventResponseSchema, message)));
    assert.ok(equals(GetEventResponseSchema, fromBinary(GetEventResponseSchema, carried), message));
    assert.equal(a.carrier().event, undefined, "the carrier holds bytes, not the message");
    assert.equal(a.json(), a.json(), "encoded once");
  });

  it("keeps one answer per key, rebuilt only when the version changes", () => {
    const answers = new EncodedAnswers(GetEventResponseSchema);
    let builds = 0;
    const build = (name: string, rev: bigint) => () => {
      builds++;
      return response(name, rev);
    };
    const first = answers.shared("e1", "r3", build("A", 3n));
    assert.equal(answers.shared("e1", "r3", build("ignored", 3n)), first);
    assert.equal(builds, 1);
    const second = answers.shared("e1", "r4", build("B", 4n));
    assert.equal(builds, 2);
    assert.notEqual(second, first);
    assert.match(new TextDecoder().decode(second.json()), /"name":"B"/);
    assert.notEqual(second.etag, first.etag);
    assert.equal(answers.size, 1);
  });

  it("never keeps an answer for one caller, and bounds the shared ones", () => {
    const answers = new EncodedAnswers(GetEventResponseSchema, { maxEntries: 2 });
    const own = answers.single("r1", response("Draft", 1n));
    assert.equal(answers.size, 0);
    assert.equal(own.etag, '"r1"');
    for (const id of ["a", "b", "c"]) answers.shared(id, "r1", () => response(id, 1n));
    assert.equal(answers.size, 2);
    let rebuilt = false;
    answers.shared("a", "r1", () => {
      rebuilt = true;
      return response("a", 1n);
    });
    assert.ok(rebuilt, "the oldest key was dropped");
  });

  it("makes strong ETags from the version, without characters an ETag cannot hold", () => {
    const answers = new EncodedAnswers(GetEventResponseSchema);
    assert.equal(answers.single('7"x y\\', response("x", 7n)).etag, '"7xy"');
  });
});
