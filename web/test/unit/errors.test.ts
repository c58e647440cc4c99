/**
 * The storefront's error messages from the platform's error details, decoded from the Connect wire
 * format exactly as the browser receives them (errorToJson → errorFromJson), for the refusals the
 * ticket service will send (SEATS_UNAVAILABLE, ALREADY_CHECKED_IN) as well as today's.
 */
import assert from "node:assert/strict";
import { create, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { errorFromJson, errorToJson } from "@connectrpc/connect/protocol-connect";
import { problemOf } from "../../src/api/errors.js";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "../../src/gen/google/rpc/error_details_pb.js";

type Detail = { desc: DescMessage; value: MessageShape<DescMessage> };

/** An error as the server sends it, through the JSON wire format and back. */
function wire(code: Code, message: string, details: Detail[]): ConnectError {
  const sent = new ConnectError(message, code, undefined, details as ConstructorParameters<typeof ConnectError>[3]);
  const json = errorToJson(sent, undefined);
  return errorFromJson(json, undefined, new ConnectError("fallback", Code.Internal));
}

const info = (reason: string, metadata: Record<string, string> = {}): Detail => ({
  desc: ErrorInfoSchema,
  value: create(ErrorInfoSchema, { reason, domain: "ticket.boxoffice", metadata }),
});
const retry = (ms: number): Detail => ({
  desc: RetryInfoSchema,
  value: create(RetryInfoSchema, { retryDelay: durationFromMs(ms) }),
});

describe("web: platform errors as plain messages", () => {
  const ctx = {
    sectionName: (id: string) => ({ s1: "Stalls", s2: "Standing" })[id],
    isGeneralAdmission: (id: string) => id === "s2",
    timeZone: "Europe/Lisbon",
  };

  it("SEATS_UNAVAILABLE names what is left and where, from section_id and available", () => {
    const two = problemOf(
      wire(Code.FailedPrecondition, "not enough", [info("SEATS_UNAVAILABLE", { section_id: "s1", available: "2" })]),
      ctx,
    );
    assert.equal(two.code, Code.FailedPrecondition);
    assert.equal(two.message, "2 seats left in Stalls. Someone else got there first; please choose again.");
    const one = problemOf(
      wire(Code.FailedPrecondition, "", [info("SEATS_UNAVAILABLE", { section_id: "s2", available: "1" })]),
      ctx,
    );
    assert.match(one.message, /^1 place left in Standing\./);
    const none = problemOf(
      wire(Code.FailedPrecondition, "", [info("SEATS_UNAVAILABLE", { section_id: "s1", available: "0" })]),
      ctx,
    );
    assert.match(none.message, /^No seats left in Stalls\./);
  });

  it("throttling says when to retry, from RetryInfo", () => {
    const p = problemOf(wire(Code.ResourceExhausted, "slow down", [info("LOGIN_THROTTLED"), retry(42_000)]));
    assert.equal(p.retryAfterMs, 42_000);
    assert.equal(p.message, "Too many attempts. Try again in 42 seconds.");
    const shed = problemOf(wire(Code.ResourceExhausted, "busy", [retry(2_500)]));
    assert.equal(shed.message, "Boxoffice is very busy right now. Try again in 3 seconds.");
    const down = problemOf(wire(Code.Unavailable, "db", [info("DATABASE_UNAVAILABLE"), retry(120_000)]));
    assert.equal(down.message, "Boxoffice cannot be reached right now. Try again in 2 minutes.");
  });

  it("field violations are keyed by their path, for the inputs they belong to", () => {
    const p = problemOf(
      wire(Code.InvalidArgument, "invalid", [
        info("INVALID_ARGUMENT"),
        {
          desc: BadRequestSchema,
          value: create(BadRequestSchema, {
            fieldViolations: [
              { field: "venue.name", description: "value is required", reason: "required" },
              { field: "venue.sections[0].name", description: "value is required", reason: "required" },
              { field: "venue.name", description: "must be at most 200 characters", reason: "string.max_len" },
            ],
          }),
        },
      ]),
    );
    assert.deepEqual(p.fields, {
      "venue.name": "value is required; must be at most 200 characters",
      "venue.sections[0].name": "value is required",
    });
    assert.equal(p.message, "Some details need fixing; see the marked fields.");
  });

  it("ALREADY_CHECKED_IN shows the first scan's time in the venue's zone", () => {
    const p = problemOf(
      wire(Code.FailedPrecondition, "", [info("ALREADY_CHECKED_IN", { first_check_in_time: "2026-12-31T19:58:00Z" })]),
      { ...ctx, timeZone: "Europe/Berlin" },
    );
    // 19:58 UTC is 20:58 in Berlin (the wording of the date follows the browser's locale)
    assert.match(p.message, /^Already checked in at .*2026.*(20:58|08:58\sPM)\.$/);
  });

  it("errors without details still read as sentences", () => {
    assert.equal(
      problemOf(wire(Code.Unimplemented, "later", [])).message,
      "This part of Boxoffice is not available yet.",
    );
    assert.equal(problemOf(new TypeError("Failed to fetch")).code, Code.Unknown);
    assert.equal(
      problemOf(wire(Code.FailedPrecondition, "event x is not on sale", [])).message,
      "Event x is not on sale.",
    );
  });
});
