import assert from "node:assert/strict";
import { type DescField, type DescMessage, getOption, hasOption, isFieldSet, ScalarType } from "@bufbuild/protobuf";
import {
  BytesRulesSchema,
  type FieldRules,
  field as fieldRules,
  Ignore,
  RepeatedRulesSchema,
  StringRulesSchema,
} from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { modules } from "../../cmd/modules.js";
import { createRequestValidator } from "../../platform/rpc/interceptors/validate.js";

/**
 * Fields allowed to skip a check below, each with its reason. Keyed `<message>.<field>`. A field
 * listed here that no longer needs the exception fails the test too, so the list cannot rot.
 */
const exceptions: Record<string, string> = {
  "boxoffice.event.v1.Venue.organizer_id": "output only (AIP-203: ignored in requests); bounded, format not checked",
  "boxoffice.event.v1.Event.organizer_id": "output only (AIP-203: ignored in requests); bounded, format not checked",
  "boxoffice.event.v1.Event.state": "output only (AIP-203: ignored in requests)",
  "boxoffice.event.v1.Venue.create_time": "output only (AIP-203: ignored in requests)",
  "boxoffice.event.v1.Venue.update_time": "output only (AIP-203: ignored in requests)",
  "boxoffice.event.v1.Event.create_time": "output only (AIP-203: ignored in requests)",
  "boxoffice.event.v1.Event.update_time": "output only (AIP-203: ignored in requests)",
  "boxoffice.event.v1.Event.publish_time": "output only (AIP-203: ignored in requests)",
  "boxoffice.event.v1.Event.cancel_time": "output only (AIP-203: ignored in requests)",
};
/** `request_id` is an AIP-155 idempotency key: 8-64 characters of [A-Za-z0-9_-]; a UUID is advised, not required. */
const notUuidIds = new Set(["request_id"]);

const rulesOf = (f: DescField): FieldRules | undefined =>
  hasOption(f, fieldRules) ? getOption(f, fieldRules) : undefined;

/** A string rule that caps the length: max_len/max_bytes/len, or a format of fixed size. */
function stringBounded(r: FieldRules | undefined): boolean {
  if (r?.type.case !== "string") return false;
  const s = r.type.value;
  const set = (k: keyof typeof StringRulesSchema.field) => isFieldSet(s, StringRulesSchema.field[k]);
  return set("maxLen") || set("maxBytes") || set("len") || set("lenBytes") || s.wellKnown.case === "uuid";
}
const isUuid = (r: FieldRules | undefined) => r?.type.case === "string" && r.type.value.wellKnown.case === "uuid";

/** Every message type a request can carry, starting from the RPC inputs (well-known types excluded). */
function requestMessages(): { inputs: DescMessage[]; all: DescMessage[] } {
  const inputs = Object.values(modules).flatMap((m) =>
    m.contracts.flatMap((c) => c.desc.methods.map((method) => method.input)),
  );
  const seen = new Map<string, DescMessage>();
  const visit = (m: DescMessage) => {
    if (seen.has(m.typeName) || m.typeName.startsWith("google.protobuf.")) return;
    seen.set(m.typeName, m);
    for (const f of m.fields) if (f.message !== undefined) visit(f.message);
  };
  for (const m of inputs) visit(m);
  return { inputs, all: [...seen.values()] };
}

/** What is wrong with one field's rules, as `<message>.<field>: problem` lines. */
function problems(m: DescMessage, f: DescField): string[] {
  const r = rulesOf(f);
  if (r?.ignore === Ignore.ALWAYS) return [`${m.typeName}.${f.name}: IGNORE_ALWAYS turns every check off`];
  const out: string[] = [];
  const say = (what: string) => out.push(`${m.typeName}.${f.name}: ${what}`);
  const item = r?.type.case === "repeated" ? r.type.value.items : undefined;
  switch (f.fieldKind) {
    case "list":
      if (r?.type.case !== "repeated" || !isFieldSet(r.type.value, RepeatedRulesSchema.field.maxItems))
        say("repeated without max_items");
      if (f.listKind === "scalar" && f.scalar === ScalarType.STRING && !stringBounded(item))
        say("repeated string items without a maximum");
      if (f.listKind === "enum" && !(item?.type.case === "enum" && item.type.value.definedOnly))
        say("repeated enum without defined_only");
      if (f.name.endsWith("_ids") && !isUuid(item)) say("ids without a UUID rule");
      break;
    case "map":
      say("maps are not expected in requests (add max_pairs and key/value rules, then extend this test)");
      break;
    case "scalar":
      if (f.scalar === ScalarType.STRING && !stringBounded(r)) say("string without a maximum");
      if (
        f.scalar === ScalarType.BYTES &&
        !(r?.type.case === "bytes" && isFieldSet(r.type.value, BytesRulesSchema.field.maxLen))
      )
        say("bytes without a maximum");
      if (f.name.endsWith("_id") && !notUuidIds.has(f.name) && !isUuid(r)) say("id without a UUID rule");
      break;
    case "enum":
      if (!(r?.type.case === "enum" && r.type.value.definedOnly)) say("enum without defined_only");
      break;
    case "message":
      if (f.message.typeName === "google.protobuf.Timestamp") {
        const t = r?.type.case === "timestamp" ? r.type.value : undefined;
        if (t === undefined || t.lessThan.case === undefined || t.greaterThan.case === undefined)
          say("timestamp without a lower and an upper bound");
      }
      if (f.message.typeName === "google.protobuf.FieldMask") {
        if (!(r?.type.case === "fieldMask" && r.type.value.in.length > 0)) say("field mask without allowed paths");
        if (!(r?.cel.length ?? 0)) say("field mask without a rule bounding its number of paths");
      }
      break;
  }
  return out;
}

describe("validation rules declared in the contracts (descriptor walk, no server)", () => {
  const { inputs, all } = requestMessages();

  it("covers every RPC of every service, and the messages their requests carry", () => {
    assert.ok(inputs.length >= 30, `${inputs.length} RPC inputs`);
    for (const name of ["boxoffice.event.v1.Venue", "boxoffice.common.v1.Money", "boxoffice.ticket.v1.SeatRef"]) {
      assert.ok(
        all.some((m) => m.typeName === name),
        `${name} is reached from a request`,
      );
    }
  });

  it("bounds every string, bytes and repeated field, gives every *_id a UUID rule, defines every enum, ranges every timestamp", () => {
    const found = all.flatMap((m) => m.fields.flatMap((f) => problems(m, f)));
    const unexcused = found.filter((p) => exceptions[p.slice(0, p.indexOf(":"))] === undefined);
    assert.deepEqual(unexcused, [], `fields without the rules a request needs:\n${unexcused.join("\n")}`);
    const needed = new Set(found.map((p) => p.slice(0, p.indexOf(":"))));
    const stale = Object.keys(exceptions).filter((k) => !needed.has(k));
    assert.deepEqual(stale, [], "exceptions no longer needed: remove them");
  });

  it("every rule compiles (the interceptor plans each RPC input when the server starts)", () => {
    const validator = createRequestValidator();
    for (const m of inputs) assert.doesNotThrow(() => validator.compile(m), m.typeName);
  });
});
