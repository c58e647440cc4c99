// The notification service on real MariaDB, NATS and the SMTP sink: account emails from auth's
// facts, recipients from auth's GetUser (one that does not exist), the sink failing for a while and
// for good, ListNotifications through the port, and the metrics.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { simpleParser } from "mailparser";
import {
  EmailVerificationRequestedSchema,
  PasswordResetRequestedSchema,
  UserRegisteredSchema,
} from "../../gen/boxoffice/auth/v1/events_pb.js";
import { DeliveryState, NotificationKind } from "../../gen/boxoffice/notification/v1/notification_pb.js";
import { NotificationService } from "../../gen/boxoffice/notification/v1/notification_service_pb.js";
import { eventType } from "../../platform/bus/events.js";
import { sleep } from "../../platform/clock/index.js";
import { failure } from "../support/assert.js";
import { eventSummary, NotificationStack, notificationRows, scrape, until } from "../support/notification-kit.js";
import { bearer } from "../support/users.js";

const UserRegistered = eventType(UserRegisteredSchema, "auth");
const PasswordResetRequested = eventType(PasswordResetRequestedSchema, "auth");
const EmailVerificationRequested = eventType(EmailVerificationRequestedSchema, "auth");

describe("notification: account emails, recipients, a failing sink, ListNotifications (MariaDB, NATS, SMTP sink, auth)", function () {
  this.timeout(60_000);
  const s = new NotificationStack();
  before(() => s.start());
  after(() => s.stop());
  const user = (id: string) => ({ type: "user", id });
  const inAnHour = () => timestampFromMs(Date.now() + 3600_000);

  it("auth's facts: a welcome with the verification link, a reset link (once per token), a verification link; an expired link sends nothing", async () => {
    const id = randomUUID();
    const email = `ana-${id.slice(0, 6)}@example.com`;
    const base = { userId: id, email, displayName: "Ana" };
    await s.feed.publish(
      UserRegistered,
      {
        ...base,
        registerTime: timestampFromMs(Date.now()),
        verificationToken: "verify-1",
        verificationExpireTime: inAnHour(),
      },
      user(id),
    );
    const reset = { ...base, resetToken: "reset-1", expireTime: inAnHour(), requestTime: timestampFromMs(Date.now()) };
    await s.feed.publish(PasswordResetRequested, reset, user(id));
    await s.feed.publish(PasswordResetRequested, reset, user(id), { sequence: 0 }); // the same request, republished
    await s.feed.publish(
      PasswordResetRequested,
      { ...reset, resetToken: "reset-stale", expireTime: timestampFromMs(Date.now() - 1000) },
      user(id),
    );
    await s.feed.publish(
      EmailVerificationRequested,
      { ...base, verificationToken: "verify-2", expireTime: inAnHour() },
      user(id),
    );
    await until("three emails", () => s.mail(undefined, email).length === 3);
    await until("every auth fact handled", () => s.feed.settled("auth", "notification.password_reset_requested"));
    await s.idle();
    await sleep(200);
    const byKind = async (kind: string) => {
      const mails = s.mail(kind, email);
      assert.equal(mails.length, 1, kind);
      return simpleParser(mails[0]!.raw);
    };
    const welcome = await byKind("WELCOME");
    assert.equal(welcome.subject, "Welcome to Boxoffice – please confirm your email address");
    assert.ok(String(welcome.html).includes('href="https://shop.boxoffice.test/verify-email?token=verify-1"'));
    assert.match(
      (await byKind("PASSWORD_RESET")).text ?? "",
      /https:\/\/shop\.boxoffice\.test\/reset-password\?token=reset-1/,
    );
    assert.match((await byKind("EMAIL_VERIFICATION")).text ?? "", /verify-email\?token=verify-2/);
    assert.equal(
      await scrape(s.notifier.adminUrl, "notification_suppressed_total", { kind: "PASSWORD_RESET", reason: "expired" }),
      1,
    );
  });

  it("the real auth's UserRegistered: a welcome to the registered address", async () => {
    const u = await s.upstream.register("real");
    await until("the welcome", () => s.mail("WELCOME", u.email).length === 1);
  });

  it("a user auth does not know: FAILED once (no_recipient), counted, never retried", async () => {
    const ghost = randomUUID();
    const ev = eventSummary();
    await s.feed.failed(s.feed.order(ghost, ev), ev, "CARD_DECLINED");
    await until(
      "FAILED",
      async () => (await notificationRows(s.prefix, "user_id = ?", [ghost]))[0]?.state === "FAILED",
    );
    await sleep(400);
    const [row] = await notificationRows(s.prefix, "user_id = ?", [ghost]);
    assert.equal(row?.attempts, 1);
    assert.match(String(row?.last_error), /not found/);
    assert.equal(await scrape(s.notifier.adminUrl, "notification_failed_total", { reason: "no_recipient" }), 1);
  });

  it("the sink failing temporarily: retried with backoff, then exactly one email", async () => {
    const buyer = await s.upstream.register("retry");
    await until("the welcome first", () => s.mail("WELCOME", buyer.email).length === 1);
    await s.sink.fail({ mode: "temporary", count: 2 });
    const ev = eventSummary();
    const order = s.feed.order(buyer.id, ev);
    await s.feed.failed(order, ev, "INSUFFICIENT_FUNDS");
    await until("the email", () => s.mail("ORDER_FAILED", buyer.email).length === 1);
    await s.idle();
    await sleep(300);
    assert.equal(s.mail("ORDER_FAILED", buyer.email).length, 1);
    const [row] = await notificationRows(s.prefix, "order_id = ?", [order.orderId]);
    assert.equal(row?.state, "SENT");
    assert.equal(row?.attempts, 3);
    assert.ok((await scrape(s.notifier.adminUrl, "notification_retried_total", { kind: "ORDER_FAILED" })) >= 2);
  });

  it("the sink failing permanently: each notification FAILED after one attempt, counted, no retry storm", async () => {
    const buyer = await s.upstream.register("refused");
    await until("the welcome first", () => s.mail("WELCOME", buyer.email).length === 1);
    await s.idle();
    const rejected = (await s.sink.status()).rejected;
    await s.sink.fail({ mode: "permanent", code: 550 });
    const ev = eventSummary();
    const orders = [1, 2, 3].map(() => s.feed.order(buyer.id, ev));
    for (const o of orders) await s.feed.failed(o, ev, "CARD_DECLINED");
    const failedRows = () => notificationRows(s.prefix, "user_id = ? AND kind = 'ORDER_FAILED'", [buyer.id]);
    await until("three FAILED", async () => (await failedRows()).filter((r) => r.state === "FAILED").length === 3);
    await sleep(1000); // ten poll intervals: nothing may try again
    await s.sink.reset();
    assert.deepEqual(
      (await failedRows()).map((r) => r.attempts),
      [1, 1, 1],
    );
    assert.equal((await s.sink.status()).rejected - rejected, 3, "one SMTP attempt each");
    assert.equal(s.mail("ORDER_FAILED", buyer.email).length, 0);
    assert.equal(await scrape(s.notifier.adminUrl, "notification_failed_total", { reason: "permanent" }), 3);
  });

  it("ListNotifications: a user's own, newest first, paged, with the Message-ID; an admin reads anyone's; others are refused", async () => {
    const buyer = await s.upstream.register("lister");
    await until("the welcome first", () => s.mail("WELCOME", buyer.email).length === 1);
    const ev = eventSummary({ name: "Listed" });
    for (const code of ["CARD_DECLINED", "PAYMENT_TIMEOUT"]) await s.feed.failed(s.feed.order(buyer.id, ev), ev, code);
    await until(
      "three SENT",
      async () => (await notificationRows(s.prefix, "user_id = ? AND state = 'SENT'", [buyer.id])).length === 3,
    );
    const client = createClient(
      NotificationService,
      createConnectTransport({ baseUrl: s.notifier.baseUrl, httpVersion: "1.1" }),
    );
    const me = await s.upstream.users.login(buyer.email, buyer.password);
    const first = await client.listNotifications({ pageSize: 2 }, await me.auth());
    assert.equal(first.notifications.length, 2);
    const second = await client.listNotifications({ pageSize: 2, pageToken: first.nextPageToken }, await me.auth());
    assert.equal(second.nextPageToken, "");
    const all = [...first.notifications, ...second.notifications];
    assert.deepEqual(
      all.map((n) => n.kind),
      [NotificationKind.ORDER_FAILED, NotificationKind.ORDER_FAILED, NotificationKind.WELCOME],
    );
    const times = all.map((n) => Number(n.createTime?.seconds) * 1000 + (n.createTime?.nanos ?? 0) / 1e6);
    assert.deepEqual(
      [...times].sort((a, b) => b - a),
      times,
      "newest first",
    );
    for (const n of all) {
      assert.equal(n.state, DeliveryState.SENT);
      assert.equal(n.messageId, `<${n.id}@boxoffice.localhost>`);
      assert.equal(n.recipient, `${buyer.email[0]}***@example.com`);
      assert.ok(
        s.mail(undefined, buyer.email).some((m) => m.messageId === n.messageId),
        "the email carries it",
      );
    }
    const admin = await s.upstream.users.admin();
    const asAdmin = await client.listNotifications({ userId: buyer.id }, await admin.auth());
    assert.deepEqual(
      asAdmin.notifications.map((n) => n.id),
      all.map((n) => n.id),
    );
    const nosy = await s.upstream.register("nosy");
    const nosyUser = await s.upstream.users.login(nosy.email, nosy.password);
    assert.equal(
      (await failure(client.listNotifications({ userId: buyer.id }, await nosyUser.auth()))).code,
      Code.PermissionDenied,
    );
    assert.equal((await failure(client.listNotifications({}))).code, Code.Unauthenticated);
    assert.equal(
      (await failure(client.listNotifications({ pageToken: "forged.token" }, await me.auth()))).code,
      Code.InvalidArgument,
    );
    const service = await s.upstream.users.serviceToken("ticket");
    assert.equal((await failure(client.listNotifications({}, bearer(service)))).code, Code.PermissionDenied);
  });

  it("metrics: sent, retried, failed and the age of the oldest unsent notification on /metrics", async () => {
    const a = s.notifier.adminUrl;
    assert.ok((await scrape(a, "notification_sent_total")) >= 5);
    assert.ok((await scrape(a, "notification_retried_total")) >= 2);
    assert.ok((await scrape(a, "notification_failed_total")) >= 4);
    const text = await (await fetch(`${a}/metrics`)).text();
    assert.match(text, /^notification_oldest_unsent_seconds \d/m);
    assert.match(text, /^notification_queued_total\{kind="WELCOME"\} \d/m);
  });
});
