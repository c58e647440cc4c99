import assert from "node:assert/strict";
import { Role } from "../../../gen/boxoffice/auth/v1/auth_pb.js";
import { displayNameViolations, emailViolations, passwordMaxLength, passwordViolations } from "./credentials.js";
import { roleName, roleOf, roleOrder } from "./roles.js";

/** Auth's input rules with no I/O: emails, display names, the password policy, role names. */
describe("credentials and roles (domain, no I/O)", () => {
  const reasons = (v: Array<{ reason?: string }>) => v.map((x) => x.reason);

  it("emails must look like one (their canonical form: email.test.ts)", () => {
    assert.deepEqual(reasons(emailViolations("")), ["REQUIRED"]);
    assert.deepEqual(reasons(emailViolations("ana@example")), ["INVALID_FORMAT"]);
    assert.deepEqual(reasons(emailViolations(`${"a".repeat(250)}@x.io`)), ["INVALID_FORMAT"]);
    assert.deepEqual(emailViolations("ana@example.com"), []);
  });

  it("passwords: long enough, not too long, not common, not the email", () => {
    const email = "ana.silva@example.com";
    assert.deepEqual(passwordViolations("a long passphrase", email), []);
    assert.deepEqual(reasons(passwordViolations("short", email)), ["PASSWORD_TOO_SHORT"]);
    assert.deepEqual(reasons(passwordViolations("x".repeat(passwordMaxLength + 1), email)), ["PASSWORD_TOO_LONG"]);
    assert.deepEqual(reasons(passwordViolations("Password1234", email)), ["PASSWORD_TOO_COMMON"]);
    assert.deepEqual(reasons(passwordViolations("zzzzzzzzzzzzzz", email)), ["PASSWORD_TOO_COMMON"]);
    assert.deepEqual(reasons(passwordViolations("ANA.SILVA@example.com", email)), ["PASSWORD_IS_EMAIL"]);
    assert.deepEqual(reasons(passwordViolations("ana.silva", "ana.silva@example.com")), ["PASSWORD_TOO_SHORT"]);
    assert.deepEqual(reasons(passwordViolations("ana.silva.long", "ana.silva.long@example.com")), [
      "PASSWORD_IS_EMAIL",
    ]);
  });

  it("display names are required and at most 100 characters (trimmed, counted in code points)", () => {
    assert.deepEqual(reasons(displayNameViolations("   ")), ["REQUIRED"]);
    assert.deepEqual(displayNameViolations("🎟️".repeat(50)), []);
    assert.deepEqual(reasons(displayNameViolations("x".repeat(101))), ["TOO_LONG"]);
  });

  it("roles: names from the enum, in privilege order; UNSPECIFIED is no role", () => {
    assert.equal(roleName(Role.ORGANIZER), "ORGANIZER");
    assert.equal(roleName(Role.UNSPECIFIED), undefined);
    assert.deepEqual(
      ["ADMIN", "CUSTOMER", "ORGANIZER"].sort((a, b) => roleOrder(a) - roleOrder(b)),
      ["CUSTOMER", "ORGANIZER", "ADMIN"],
    );
    assert.deepEqual([roleOf("ADMIN"), roleOf("UNSPECIFIED"), roleOf("ROOT")], [Role.ADMIN, undefined, undefined]);
  });
});
