import assert from "node:assert/strict";
import { DomainError } from "../../../../platform/errors/index.js";
import { userPrincipal } from "../../../../platform/principal/index.js";
import { assertDoorStaff, refusalOf, seesCode } from "./check-in.js";

describe("check-in rules (domain/check-in)", () => {
  it("the event's organiser and admins check in; other organisers and customers may not", () => {
    assertDoorStaff(userPrincipal("org", ["ORGANIZER"]), "org");
    assertDoorStaff(userPrincipal("root", ["ADMIN"]), "org");
    assert.throws(() => assertDoorStaff(userPrincipal("other", ["ORGANIZER"]), "org"), /organiser or an admin/);
    assert.throws(() => assertDoorStaff(userPrincipal("org", []), "org"), /organiser or an admin/);
    assert.throws(() => assertDoorStaff(undefined, "org"), /organiser or an admin/);
  });

  it("a scan that did not admit says why: already checked in (with the first time), void, unknown", () => {
    const first = new Date("2030-05-01T19:30:00.123Z");
    const again = refusalOf("e", { id: "t", state: "CHECKED_IN", checkInTime: first });
    assert.ok(again instanceof DomainError);
    assert.equal(again.reason, "ALREADY_CHECKED_IN");
    assert.equal(again.metadata.first_check_in_time, first.toISOString());
    const v = refusalOf("e", { id: "t", state: "VOID", checkInTime: null });
    assert.ok(v instanceof DomainError && v.reason === "TICKET_VOID");
    const u = refusalOf("e", undefined);
    assert.ok(u instanceof DomainError && u.reason === "TICKET_NOT_FOUND");
    assert.equal((u as DomainError).metadata.event_id, "e");
  });

  it("the code is shown to the holder and admins only", () => {
    assert.equal(seesCode(userPrincipal("h"), "h"), true);
    assert.equal(seesCode(userPrincipal("a", ["ADMIN"]), "h"), true);
    assert.equal(seesCode(userPrincipal("org", ["ORGANIZER"]), "h"), false);
    assert.equal(seesCode(undefined, "h"), false);
  });
});
