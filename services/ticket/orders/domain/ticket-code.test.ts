import assert from "node:assert/strict";
import { InvalidArgumentError } from "../../../../platform/errors/index.js";
import { encodeCode, parseCode, SIGNATURE_BYTES, signedBytes, type TicketClaims } from "./ticket-code.js";

const claims: TicketClaims = {
  kid: "ticket-2030-01",
  ticketId: "01890a5d-ac96-774b-bcce-b302099a8057",
  eventId: "01890a5d-ac96-774b-bcce-b302099a8058",
  sectionId: "01890a5d-ac96-774b-bcce-b302099a8059",
  rowLabel: "AA",
  seatLabel: "12",
};
const sig = new Uint8Array(SIGNATURE_BYTES).fill(7);

function malformed(code: string): string {
  try {
    parseCode(code);
  } catch (e) {
    assert.ok(e instanceof InvalidArgumentError, String(e));
    assert.equal(e.reason, "INVALID_ARGUMENT");
    return e.violations[0]?.reason ?? "";
  }
  assert.fail(`${code.slice(0, 20)}… parsed`);
}

describe("ticket code layout (domain/ticket-code)", () => {
  it("round-trips the claims and keeps the signed bytes and signature apart", () => {
    const code = encodeCode(signedBytes(claims), sig);
    assert.match(code, /^[A-Za-z0-9_-]+$/);
    assert.ok(code.length < 200, `a seat's code is compact (${code.length} characters)`);
    const p = parseCode(code);
    assert.deepEqual(p.claims, claims);
    assert.deepEqual([...p.signed], [...signedBytes(claims)]);
    assert.deepEqual([...p.signature], [...sig]);
  });

  it("general admission has empty labels; non-ASCII labels survive", () => {
    const ga = { ...claims, rowLabel: "", seatLabel: "" };
    assert.deepEqual(parseCode(encodeCode(signedBytes(ga), sig)).claims, ga);
    const odd = { ...claims, rowLabel: "Ä", seatLabel: "１" };
    assert.deepEqual(parseCode(encodeCode(signedBytes(odd), sig)).claims, odd);
  });

  it("refuses what is not laid out as a code: INVALID_ARGUMENT on the code field", () => {
    const good = encodeCode(signedBytes(claims), sig);
    assert.equal(malformed(""), "MALFORMED_CODE");
    assert.equal(malformed("not a code!"), "MALFORMED_CODE");
    assert.equal(malformed(good.slice(0, 40)), "MALFORMED_CODE");
    assert.equal(malformed(good.slice(0, -4)), "MALFORMED_CODE", "signature cut short");
    assert.equal(malformed(`${good}AAAA`), "MALFORMED_CODE", "trailing bytes");
    const bytes = Buffer.from(good, "base64url");
    bytes[0] = 9;
    assert.equal(malformed(bytes.toString("base64url")), "MALFORMED_CODE", "unknown version");
    assert.equal(malformed("x".repeat(700)), "MALFORMED_CODE");
  });

  it("refuses ids that are not canonical UUIDs when signing", () => {
    assert.throws(() => signedBytes({ ...claims, ticketId: "not-a-uuid" }), TypeError);
    assert.throws(() => signedBytes({ ...claims, kid: "" }), TypeError);
    assert.throws(() => encodeCode(signedBytes(claims), new Uint8Array(10)), TypeError);
  });
});
