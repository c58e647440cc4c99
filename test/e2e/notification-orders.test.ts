// The notification service on real MariaDB, NATS and the SMTP sink: ticket's and payment's order
// facts as real envelopes on their streams; GetOrderTickets and GetUser answered by real Connect
// servers (auth itself; a stand-in for ticket's internal contract).
import assert from "node:assert/strict";
import { simpleParser } from "mailparser";
import { listDeadLetters } from "../../platform/bus/dead-letter.js";
import { sleep } from "../../platform/clock/index.js";
import {
  eventSummary,
  header,
  NotificationStack,
  notificationRows,
  scrape,
  until,
} from "../support/notification-kit.js";

describe("notification: order emails through the bus (MariaDB, NATS, SMTP sink, auth, ticket stand-in)", function () {
  this.timeout(60_000);
  const s = new NotificationStack();
  before(() => s.start());
  after(() => s.stop());

  it("a confirmed order → exactly one email with its tickets' places and codes (QR images inline)", async () => {
    const buyer = await s.upstream.register("buyer");
    const ev = eventSummary({ name: "Summer Nights <Open Air>" });
    const order = s.feed.order(buyer.id, ev);
    const issued = s.tickets.issue(order, 2);
    await s.feed.confirmed(order, ev);
    await until("the confirmation", () => s.mail("ORDER_CONFIRMED", buyer.email).length === 1);
    await s.idle();
    await sleep(200);
    const [mail, ...more] = s.mail("ORDER_CONFIRMED", buyer.email);
    assert.equal(more.length, 0, "one email");
    const parsed = await simpleParser(mail!.raw, { skipImageLinks: true });
    assert.equal(parsed.subject, "Your 2 tickets for Summer Nights <Open Air>");
    for (const [i, t] of issued.entries()) {
      assert.ok(parsed.text?.includes(t.code), `code ${i} in the text part`);
      assert.ok(String(parsed.html).includes(t.code), `code ${i} in the HTML part`);
      assert.ok(parsed.text?.includes(`Block A, row 7, seat ${12 + i}`), `place ${i}`);
    }
    // 18:30 UTC on 20 June 2031 is 20:30 in Berlin (summer time)
    assert.ok(parsed.text?.includes("Friday, 20 June 2031 at 20:30 CEST"), parsed.text);
    assert.equal(parsed.attachments.filter((a) => a.contentType === "image/png").length, 2);
    const [row] = await notificationRows(s.prefix, "order_id = ? AND kind = 'ORDER_CONFIRMED'", [order.orderId]);
    assert.equal(row?.state, "SENT");
    assert.equal(row?.attempts, 1);
    assert.equal(row?.recipient, buyer.email, "the address from auth's GetUser");
    assert.equal(mail!.messageId, `<${row?.id}@boxoffice.localhost>`);
  });

  it("the same OrderConfirmed delivered three times, and republished under a new event id → one email, codes read once", async () => {
    const buyer = await s.upstream.register("thrice");
    const ev = eventSummary();
    const order = s.feed.order(buyer.id, ev);
    s.tickets.issue(order, 1);
    const calls = s.tickets.calls;
    await s.feed.confirmed(order, ev, { deliveries: 3 });
    // a republish (new event id, no sequence): the inbox cannot know it, the order's dedupe key does
    await s.feed.confirmed(order, ev, { sequence: 0 });
    await until("all four deliveries handled", () => s.feed.settled("ticket", "notification.order_confirmed"));
    await s.idle();
    await sleep(300);
    assert.equal(s.mail("ORDER_CONFIRMED", buyer.email).length, 1);
    assert.equal(s.tickets.calls - calls, 1, "GetOrderTickets once");
    assert.equal((await notificationRows(s.prefix, "order_id = ?", [order.orderId])).length, 1);
  });

  it("ticket UNAVAILABLE for a while: an infrastructure error, retried (not dead-lettered), then one email", async () => {
    const buyer = await s.upstream.register("patient");
    const ev = eventSummary();
    const order = s.feed.order(buyer.id, ev);
    s.tickets.issue(order, 1);
    const calls = s.tickets.calls;
    const retriesBefore = await scrape(s.notifier.adminUrl, "bus_consumer_handled_total", {
      consumer: "notification.order_confirmed",
      outcome: "infra_retry",
    });
    s.tickets.unavailable = 4; // the first attempt (a call and its two retries) and the next call fail
    await s.feed.confirmed(order, ev);
    await until("the confirmation", () => s.mail("ORDER_CONFIRMED", buyer.email).length === 1);
    assert.ok(s.tickets.calls - calls >= 5, `${s.tickets.calls - calls} calls`);
    assert.ok(
      (await scrape(s.notifier.adminUrl, "bus_consumer_handled_total", {
        consumer: "notification.order_confirmed",
        outcome: "infra_retry",
      })) > retriesBefore,
    );
    assert.equal((await listDeadLetters(s.feed.nc, s.feed.names)).length, 0);
  });

  it("an event cancelled: one EVENT_CANCELLED email saying the refund follows, none for the refund — even when the refund is heard first", async () => {
    const holder = await s.upstream.register("holder");
    const ev = eventSummary({ name: "Cancelled Gala" });
    const order = s.feed.order(holder.id, ev, 12_000);
    s.tickets.issue(order, 1);
    await s.feed.confirmed(order, ev);
    await until("the confirmation", () => s.mail("ORDER_CONFIRMED", holder.email).length === 1);
    // payment's stream is ahead of ticket's: the refund arrives before the cancellation that caused it
    await s.feed.paidAndRefunded(order);
    await sleep(700);
    await s.feed.cancelled(order, ev, { byEvent: true });
    await until("the cancellation", () => s.mail("EVENT_CANCELLED", holder.email).length === 1);
    await until("the refund handled", () => s.feed.settled("payment", "notification.payment_refunded"));
    await s.idle();
    await sleep(300);
    assert.equal(s.mail(undefined, holder.email).length, 3, "welcome, confirmation, cancellation");
    assert.equal(s.mail("PAYMENT_REFUNDED", holder.email).length, 0);
    const parsed = await simpleParser(s.mail("EVENT_CANCELLED", holder.email)[0]!.raw);
    assert.equal(parsed.subject, "Cancelled: Cancelled Gala");
    assert.match(parsed.text ?? "", /The full amount of €120\.00 is refunded/);
    const a = s.notifier.adminUrl;
    assert.equal(
      await scrape(a, "notification_suppressed_total", { kind: "PAYMENT_REFUNDED", reason: "event_cancelled" }),
      1,
    );
    assert.ok(
      (await scrape(a, "bus_consumer_handled_total", {
        consumer: "notification.payment_refunded",
        outcome: "infra_retry",
      })) >= 1,
      "the refund waited",
    );
  });

  it("an order the buyer cancelled: ORDER_CANCELLED, then the refund's own email naming the event", async () => {
    const buyer = await s.upstream.register("canceller");
    const ev = eventSummary({ name: "Jazz Brunch" });
    const order = s.feed.order(buyer.id, ev, 4950);
    s.tickets.issue(order, 1);
    await s.feed.confirmed(order, ev);
    await s.feed.cancelled(order, ev, { byEvent: false, reason: "Cannot make it" });
    await s.feed.paidAndRefunded(order);
    await until("the refund email", () => s.mail("PAYMENT_REFUNDED", buyer.email).length === 1);
    const cancelled = s.mail("ORDER_CANCELLED", buyer.email);
    assert.equal(cancelled.length, 1);
    assert.match((await simpleParser(cancelled[0]!.raw)).text ?? "", /Cannot make it[\s\S]*refunding €49\.50/);
    const refund = await simpleParser(s.mail("PAYMENT_REFUNDED", buyer.email)[0]!.raw);
    assert.equal(refund.subject, "Refund of €49.50 for Jazz Brunch");
  });

  it("an order that failed, and an event that moved: one email each, in the buyer's words", async () => {
    const buyer = await s.upstream.register("mixed");
    const ev = eventSummary({ name: "Moved Show" });
    const failed = s.feed.order(buyer.id, ev);
    await s.feed.failed(failed, ev, "CARD_DECLINED");
    const kept = s.feed.order(buyer.id, ev);
    s.tickets.issue(kept, 1);
    await s.feed.confirmed(kept, ev);
    const moved = eventSummary({ name: "Moved Show", startMs: Date.UTC(2031, 6, 4, 19, 0) });
    moved.eventId = ev.eventId;
    await s.feed.rescheduled(kept, moved, Date.UTC(2031, 5, 20, 18, 30), 7);
    await s.feed.rescheduled(kept, moved, Date.UTC(2031, 5, 20, 18, 30), 7, { sequence: 0 }); // the same move again
    await until(
      "both emails",
      () => s.mail("EVENT_RESCHEDULED", buyer.email).length === 1 && s.mail("ORDER_FAILED", buyer.email).length === 1,
    );
    await s.idle();
    await sleep(200);
    assert.equal(s.mail("EVENT_RESCHEDULED", buyer.email).length, 1);
    assert.match(
      (await simpleParser(s.mail("ORDER_FAILED", buyer.email)[0]!.raw)).text ?? "",
      /Your card was declined/,
    );
    const text = (await simpleParser(s.mail("EVENT_RESCHEDULED", buyer.email)[0]!.raw)).text ?? "";
    assert.match(text, /Friday, 4 July 2031 at 21:00 CEST/);
    assert.match(text, /Previously[\s\S]*Friday, 20 June 2031 at 20:30 CEST/);
    assert.equal(header(s.mail("EVENT_RESCHEDULED", buyer.email)[0]!, "Auto-Submitted"), "auto-generated");
  });
});
