// Pure rules of delivery: backoff, the fate of a failed attempt, Message-IDs, masking, minor units.
import assert from "node:assert/strict";
import { afterFailure, backoffMs } from "./backoff.js";
import { domainOf, maskAddress, messageIdFor } from "./message-id.js";
import { minorToDecimal, validTimeZone } from "./money-time.js";

const policy = { baseMs: 1000, maxMs: 60_000, maxAttempts: 5 };

describe("notification domain", () => {
  it("backoff doubles per failure, is capped, and jitters within the upper half of each step", () => {
    assert.deepEqual(
      [1, 2, 3, 4].map((n) => backoffMs(n, policy, () => 0)),
      [500, 1000, 2000, 4000],
    );
    assert.deepEqual(
      [1, 2, 3, 4].map((n) => backoffMs(n, policy, () => 1)),
      [1000, 2000, 4000, 8000],
    );
    assert.equal(
      backoffMs(30, policy, () => 1),
      60_000,
    );
    assert.equal(
      backoffMs(10_000, policy, () => 0.5),
      45_000,
      "no overflow for absurd counts",
    );
    const spread = new Set(Array.from({ length: 50 }, () => backoffMs(3, policy)));
    assert.ok(spread.size > 10, "two failures of the same age come back at different times");
    for (const d of spread) assert.ok(d >= 2000 && d <= 4000);
  });

  it("a failed attempt: permanent → FAILED at once; temporary → PENDING with backoff until the last attempt", () => {
    const now = Date.UTC(2030, 0, 1);
    assert.deepEqual(afterFailure("permanent", 1, now, policy), { state: "FAILED", reason: "permanent" });
    assert.deepEqual(
      afterFailure("temporary", 2, now, policy, () => 0),
      {
        state: "PENDING",
        reason: "retry",
        nextAttemptTime: new Date(now + 1000),
      },
    );
    assert.deepEqual(afterFailure("temporary", 5, now, policy), { state: "FAILED", reason: "exhausted" });
  });

  it("Message-IDs derive from the notification id alone", () => {
    const id = "0192A7F0-0000-7000-8000-0000000000A1";
    assert.equal(messageIdFor(id, "Boxoffice.Example"), "<0192a7f0-0000-7000-8000-0000000000a1@boxoffice.example>");
    assert.equal(messageIdFor(id, "boxoffice.example"), messageIdFor(id.toLowerCase(), "boxoffice.example"));
    assert.throws(() => messageIdFor("a>b", "x.example"));
    assert.equal(domainOf("Boxoffice <no-reply@Mail.Boxoffice.example>"), "mail.boxoffice.example");
    assert.equal(domainOf("no-reply@x.example"), "x.example");
    assert.throws(() => domainOf("nobody"));
  });

  it("masks addresses for display", () => {
    assert.equal(maskAddress("jane.doe@example.com"), "j***@example.com");
    assert.equal(maskAddress(""), "");
    assert.equal(maskAddress("broken"), "***");
  });

  it("minor units to exact decimals; time zones checked", () => {
    assert.equal(minorToDecimal(4950, "EUR"), "49.50");
    assert.equal(minorToDecimal(7, "EUR"), "0.07");
    assert.equal(minorToDecimal(5000, "JPY"), "5000");
    assert.equal(minorToDecimal(1, "KWD"), "0.001");
    assert.equal(minorToDecimal(12345, "CLF"), "1.2345");
    assert.throws(() => minorToDecimal(0.5, "EUR"));
    assert.ok(validTimeZone("Europe/Berlin"));
    assert.ok(!validTimeZone("Europe/Atlantis"));
    assert.ok(!validTimeZone(""));
  });
});
