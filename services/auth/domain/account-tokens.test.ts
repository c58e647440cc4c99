import assert from "node:assert/strict";
import { DomainError } from "../../../platform/errors/index.js";
import { accountTokenTtlMs, assertSpendable, newAccountToken } from "./account-tokens.js";

/** When an emailed token may be spent, with no I/O. */
describe("account tokens (domain, no I/O)", () => {
  const now = 1_000_000;
  const fresh = { kind: "password_reset", expireMs: now + 1, useMs: null };
  const refused = (f: () => void) =>
    assert.throws(f, (e: unknown) => e instanceof DomainError && e.reason === "INVALID_RESET_TOKEN");

  it("an unused token of the right kind before its expiry is spendable; nothing else is, with one answer", () => {
    assertSpendable(fresh, "password_reset", now);
    refused(() => assertSpendable(undefined, "password_reset", now));
    refused(() => assertSpendable({ ...fresh, useMs: now - 1 }, "password_reset", now));
    refused(() => assertSpendable({ ...fresh, expireMs: now }, "password_reset", now));
    refused(() => assertSpendable({ ...fresh, kind: "email_verification" }, "password_reset", now));
    assert.throws(
      () => assertSpendable(undefined, "email_verification", now),
      (e: unknown) => e instanceof DomainError && e.reason === "INVALID_VERIFICATION_TOKEN",
    );
  });

  it("tokens are 256 random bits; resets live 30 minutes, verifications 24 hours", () => {
    const t = newAccountToken();
    assert.match(t, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(newAccountToken(), t);
    assert.equal(accountTokenTtlMs.password_reset, 1_800_000);
    assert.equal(accountTokenTtlMs.email_verification, 86_400_000);
  });
});
