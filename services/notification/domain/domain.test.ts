// Pure rules: backoff, the fate of a failed attempt, Message-IDs, masking, minor units, causes, refunds.
import assert from "node:assert/strict";
import { afterFailure, backoffMs } from "./backoff.js";
import { accountLink, dedupeKeys } from "./causes.js";
import type { EventInfo } from "./kinds.js";
import { domainOf, maskAddress, messageIdFor } from "./message-id.js";
import { minorToDecimal, validTimeZone } from "./money-time.js";
import { refundNotice } from "./refund-notice.js";

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

  it("one dedupe key per cause: per order and kind of fact, per refund, per move, per account token (never the token itself)", () => {
    const order = "0192a7f0-0000-7000-8000-0000000000a1";
    assert.equal(dedupeKeys.orderConfirmed(order), `order-confirmed:${order}`);
    assert.equal(dedupeKeys.orderCancelled(order), `order-cancelled:${order}`);
    assert.notEqual(dedupeKeys.eventRescheduled(order, 3n), dedupeKeys.eventRescheduled(order, 4n));
    const reset = dedupeKeys.passwordReset("secret-token-value");
    assert.equal(reset, dedupeKeys.passwordReset("secret-token-value"));
    assert.notEqual(reset, dedupeKeys.passwordReset("another-token"));
    assert.ok(!reset.includes("secret-token-value"));
    for (const key of [reset, dedupeKeys.eventRescheduled(order, 2n ** 62n)]) assert.ok(key.length <= 191);
  });

  it("account links point at the storefront's pages with the token as a parameter", () => {
    assert.equal(
      accountLink("https://shop.example", "reset-password", "a b&c"),
      "https://shop.example/reset-password?token=a+b%26c",
    );
    assert.equal(
      accountLink("https://shop.example/app/", "verify-email", "t"),
      "https://shop.example/app/verify-email?token=t",
    );
  });

  it("a refund: none for an event's cancellation, sent once its order's cancellation or failure is known, else waits (bounded)", () => {
    const event = { eventId: "e", name: "Gala" } as EventInfo;
    const wait = 60_000;
    assert.deepEqual(refundNotice({ cancelled: { kind: "EVENT_CANCELLED", event } }, 0, wait), { action: "suppress" });
    assert.deepEqual(refundNotice({ cancelled: { kind: "EVENT_CANCELLED", event } }, 10 * wait, wait), {
      action: "suppress",
    });
    assert.deepEqual(refundNotice({ cancelled: { kind: "ORDER_CANCELLED", event }, confirmed: { event } }, 0, wait), {
      action: "send",
      event,
      late: false,
    });
    assert.deepEqual(refundNotice({ failed: { event } }, 0, wait), { action: "send", event, late: false });
    assert.deepEqual(refundNotice({ confirmed: { event } }, 1000, wait), { action: "wait", remainingMs: 59_000 });
    assert.deepEqual(refundNotice({}, 0, wait), { action: "wait", remainingMs: wait });
    assert.deepEqual(refundNotice({ confirmed: { event } }, wait, wait), { action: "send", event, late: true });
    assert.deepEqual(refundNotice({}, wait + 1, wait), { action: "send", event: null, late: true });
  });
});
