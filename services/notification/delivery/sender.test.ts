// The sender on real MariaDB and the harness's real SMTP sink (its own, so it can fail and die).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { simpleParser } from "mailparser";
import { listMail, type SmtpSink, startSmtpSink } from "../../../harness/index.js";
import { infraUrls, testPrefix } from "../../../test/support/infra.js";
import { claimDue, deliveriesOf, findNotification, finishAttempt } from "../db/repository.js";
import { samples } from "../templates/samples.js";
import { metric, NotificationTestbed, sleep, until } from "./testkit.js";

const confirmed = { kind: "ORDER_CONFIRMED", payload: samples.ORDER_CONFIRMED } as const;
const welcome = { kind: "WELCOME", payload: samples.WELCOME } as const;

describe("notification sender (MariaDB + SMTP sink)", function () {
  this.timeout(30_000);
  const bed = new NotificationTestbed(infraUrls().mariadbUrl, testPrefix());
  let dir: string;
  let sink: SmtpSink;
  const mail = () => listMail(sink.mailDir);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "boxoffice-notify-"));
    [sink] = await Promise.all([startSmtpSink({ dataDir: dir, log: () => {} }), bed.setup()]);
  });
  afterEach(async () => {
    await bed.reset();
    await sink.reset();
    for (const m of mail()) rmSync(m.file);
  });
  after(async () => {
    await bed.teardown();
    await sink.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a queued notification becomes exactly one email: its Message-ID, recipient, tickets, QR images", async () => {
    const d = bed.delivery({ smtpUrl: sink.url });
    const id = await bed.enqueue(d, confirmed);
    d.sender.start();
    await until("SENT", async () => (await findNotification(bed.db.orm, id))?.state === "SENT");
    await sleep(200); // the sender keeps polling: nothing more may go out
    const stored = mail();
    assert.equal(stored.length, 1);
    assert.equal(stored[0]!.messageId, `<${id}@boxoffice.localhost>`);
    assert.deepEqual(stored[0]!.deliveredTo, ["ana@example.com"]);
    const parsed = await simpleParser(stored[0]!.raw, { skipImageLinks: true });
    assert.equal(parsed.subject, "Your 3 tickets for Spring Gala <Live> & Friends");
    for (const code of ["BX1.AAAA-1111", "BX1.BBBB-2222", "BX1.CCCC-3333"]) {
      assert.ok(parsed.text?.includes(code), code);
      assert.ok(String(parsed.html).includes(code), code);
    }
    assert.ok(parsed.text?.includes("Saturday, 14 March 2026 at 20:00 CET"));
    const images = parsed.attachments.filter((a) => a.contentType === "image/png");
    assert.equal(images.length, 3);
    for (const img of images) {
      assert.equal(img.contentDisposition, "inline");
      assert.ok(String(parsed.html).includes(`cid:${img.contentId?.replace(/[<>]/g, "")}`));
    }
    assert.equal(parsed.headers.get("auto-submitted"), "auto-generated");

    const row = await findNotification(bed.db.orm, id);
    assert.equal(row?.attempts, 1);
    assert.ok(row?.sendTime instanceof Date);
    assert.deepEqual(
      (await deliveriesOf(bed.db.orm, id)).map((x) => [x.attempt, x.outcome]),
      [[1, "SENT"]],
    );
    assert.equal(await metric(d.registry, "notification_sent_total", { kind: "ORDER_CONFIRMED" }), 1);
    await d.sender.refreshGauge();
    assert.equal(await metric(d.registry, "notification_oldest_unsent_seconds"), 0);
  });

  it("a sink failing temporarily for a while: retried with growing delays, then exactly one email", async () => {
    const rejectedBefore = (await sink.status()).rejected;
    await sink.fail({ mode: "temporary", count: 3 });
    const d = bed.delivery({ smtpUrl: sink.url, env: { BOXOFFICE_NOTIFICATION_RETRY_BASE_MS: "80" } });
    const id = await bed.enqueue(d, welcome);
    await d.sender.refreshGauge();
    d.sender.start();
    await until("SENT", async () => (await findNotification(bed.db.orm, id))?.state === "SENT");
    const tries = await deliveriesOf(bed.db.orm, id);
    assert.deepEqual(
      tries.map((t) => t.outcome),
      ["TEMPORARY_FAILURE", "TEMPORARY_FAILURE", "TEMPORARY_FAILURE", "SENT"],
    );
    assert.match(tries[0]!.detail, /451/);
    // the k-th retry waits at least half of base·2^(k-1) (equal jitter): 40, 80, 160 ms
    for (let k = 1; k < tries.length; k++) {
      const gap = tries[k]!.startTime.getTime() - tries[k - 1]!.endTime!.getTime();
      assert.ok(gap >= 40 * 2 ** (k - 1) - 5, `retry ${k} came after ${gap} ms`);
    }
    assert.equal(mail().length, 1);
    assert.equal(mail()[0]!.messageId, `<${id}@boxoffice.localhost>`);
    assert.equal((await sink.status()).rejected - rejectedBefore, 3);
    assert.equal(await metric(d.registry, "notification_retried_total"), 3);
    assert.equal(await metric(d.registry, "notification_sent_total"), 1);
    assert.equal(await metric(d.registry, "notification_failed_total"), 0);
  });

  it("a sink failing permanently: each notification FAILED after one attempt, counted, never retried", async () => {
    const rejectedBefore = (await sink.status()).rejected;
    await sink.fail({ mode: "permanent", code: 550, message: "mailbox unavailable" });
    const d = bed.delivery({ smtpUrl: sink.url });
    const ids = await Promise.all(Array.from({ length: 5 }, () => bed.enqueue(d, welcome)));
    d.sender.start();
    await until("all FAILED", async () => (await bed.states()).FAILED === 5);
    await sleep(400); // twenty polls later: still one attempt each
    assert.equal((await sink.status()).rejected - rejectedBefore, 5);
    for (const id of ids) {
      const row = await findNotification(bed.db.orm, id);
      assert.equal(row?.attempts, 1);
      assert.equal(row?.nextAttemptTime, null);
      assert.match(row?.lastError ?? "", /550.*mailbox unavailable/);
      assert.deepEqual(
        (await deliveriesOf(bed.db.orm, id)).map((x) => x.outcome),
        ["PERMANENT_FAILURE"],
      );
    }
    assert.equal(mail().length, 0);
    assert.equal(await metric(d.registry, "notification_failed_total", { reason: "permanent" }), 5);
    assert.equal(await metric(d.registry, "notification_retried_total"), 0);
  });

  it("a sink that is down: the channel pauses (no storm), and every notification goes out once it is back", async () => {
    await sink.kill();
    // per-notification retries as fast as 5 ms: only the channel's pause keeps the attempts down
    const d = bed.delivery({
      smtpUrl: sink.url,
      env: { BOXOFFICE_NOTIFICATION_RETRY_BASE_MS: "5", BOXOFFICE_NOTIFICATION_MAX_ATTEMPTS: "1000" },
    });
    const ids = await Promise.all(Array.from({ length: 10 }, () => bed.enqueue(d, welcome)));
    d.sender.start();
    await sleep(1500);
    const [[row]] = (await bed.db.pool.query("SELECT COUNT(*) AS n FROM deliveries")) as unknown as [[{ n: number }]];
    // 4 workers fail at once, then one probe per pause, from the 5 ms base: ≥ 20, 40, 80, 160, 320, 500 … ms
    assert.ok(Number(row.n) <= 4 + 10, `${row.n} attempts in 1.5 s while the server was down`);
    assert.ok((await metric(d.registry, "notification_channel_paused_total")) >= 2);
    assert.equal(await metric(d.registry, "notification_failed_total"), 0);

    await sink.restart();
    await until("all SENT", async () => (await bed.states()).SENT === 10);
    const stored = mail();
    assert.equal(stored.length, 10);
    assert.deepEqual(new Set(stored.map((m) => m.messageId)), new Set(ids.map((id) => `<${id}@boxoffice.localhost>`)));
  });

  it("two senders racing on one queue: one email per notification (distinct Message-IDs and files)", async () => {
    const a = bed.delivery({ smtpUrl: sink.url, instance: "sender-a" });
    const b = bed.delivery({ smtpUrl: sink.url, instance: "sender-b" });
    const ids = await Promise.all(Array.from({ length: 60 }, () => bed.enqueue(a, welcome)));
    a.sender.start();
    b.sender.start();
    await until("all SENT", async () => (await bed.states()).SENT === 60);
    await sleep(200);
    const stored = mail();
    assert.equal(stored.length, 60, "files");
    assert.equal(new Set(stored.map((m) => m.messageId)).size, 60, "distinct Message-IDs");
    const [attempts] = (await bed.db.pool.query(
      "SELECT instance, COUNT(*) AS n FROM deliveries GROUP BY instance",
    )) as unknown as [Array<{ instance: string; n: number }>];
    const by = Object.fromEntries(attempts.map((r) => [r.instance, Number(r.n)]));
    assert.equal((by["sender-a"] ?? 0) + (by["sender-b"] ?? 0), 60, "one attempt per notification");
    assert.ok((by["sender-a"] ?? 0) > 0 && (by["sender-b"] ?? 0) > 0, `both senders took part: ${JSON.stringify(by)}`);
    const sent =
      (await metric(a.registry, "notification_sent_total")) + (await metric(b.registry, "notification_sent_total"));
    assert.equal(sent, 60);
    assert.equal(ids.length, 60);
  });

  it("an attempt that outlasts the lease keeps its claim (renewed): a second sender never sends it meanwhile", async () => {
    // the sink holds its answer until the client's 1.5 s socket timeout; the lease is 300 ms
    const env = { BOXOFFICE_NOTIFICATION_LEASE_MS: "300", BOXOFFICE_SMTP_TIMEOUT_MS: "1500" };
    const a = bed.delivery({ smtpUrl: sink.url, instance: "slow-a", env });
    const b = bed.delivery({ smtpUrl: sink.url, instance: "slow-b", env });
    const id = await bed.enqueue(a, welcome);
    await sink.fail({ mode: "timeout", count: 1 });
    a.sender.start();
    await until("the first attempt under way", async () => (await deliveriesOf(bed.db.orm, id)).length === 1);
    b.sender.start();
    await until("SENT", async () => (await findNotification(bed.db.orm, id))?.state === "SENT", 20_000);
    const attempts = await deliveriesOf(bed.db.orm, id);
    assert.deepEqual(
      attempts.map((x) => x.outcome),
      ["TEMPORARY_FAILURE", "SENT"],
    );
    assert.ok(
      attempts[1]!.startTime.getTime() >= attempts[0]!.endTime!.getTime(),
      "the second attempt started after the first had ended, not when its first lease ran out",
    );
    assert.ok(attempts[0]!.endTime!.getTime() - attempts[0]!.startTime.getTime() >= 1000, "the first was held > 1 s");
    assert.equal(mail().length, 1);
    assert.equal(
      (await metric(a.registry, "notification_lease_lost_total")) +
        (await metric(b.registry, "notification_lease_lost_total")),
      0,
    );
  });

  it("a sender that died mid-attempt: after its lease the notification is claimed again, the old attempt ABANDONED", async () => {
    const d = bed.delivery({ smtpUrl: sink.url, env: { BOXOFFICE_NOTIFICATION_LEASE_MS: "300" } });
    const id = await bed.enqueue(d, welcome);
    // a sender claims it and dies before reporting back
    const [dead] = await claimDue(bed.db, {
      now: new Date(),
      leaseMs: 300,
      limit: 5,
      instance: "dead",
      newId: bed.ids,
    });
    assert.equal(dead?.row.id, id);
    d.sender.start();
    await sleep(150);
    assert.equal(mail().length, 0, "not claimable during the lease");
    await until("SENT", async () => (await findNotification(bed.db.orm, id))?.state === "SENT");
    assert.deepEqual(
      (await deliveriesOf(bed.db.orm, id)).map((x) => [x.attempt, x.instance, x.outcome]),
      [
        [1, "dead", "ABANDONED"],
        [2, "sender-1", "SENT"],
      ],
    );
    // the dead sender's late report changes nothing but its own delivery record
    const ours = await finishAttempt(bed.db, dead!, {
      outcome: "TEMPORARY_FAILURE",
      state: "PENDING",
      nextAttemptTime: new Date(),
      detail: "late",
      at: new Date(),
    });
    assert.equal(ours, false);
    assert.equal((await findNotification(bed.db.orm, id))?.state, "SENT");
    assert.equal(mail().length, 1);
  });

  it("resolves a missing recipient at send time; a user who does not exist is a permanent failure", async () => {
    let lookups = 0;
    const d = bed.delivery({
      smtpUrl: sink.url,
      resolveRecipient: async (userId) => {
        lookups++;
        if (lookups === 1) throw new Error("auth unavailable");
        return userId === "u-gone" ? null : { address: "bo@example.com", name: "Bo" };
      },
    });
    const known = await bed.enqueue(d, welcome, { userId: "u-known", recipient: undefined });
    d.sender.start();
    await until("SENT", async () => (await findNotification(bed.db.orm, known))?.state === "SENT");
    const row = await findNotification(bed.db.orm, known);
    assert.deepEqual([row?.recipient, row?.recipientName, row?.attempts], ["bo@example.com", "Bo", 2]);
    assert.deepEqual(mail()[0]?.deliveredTo, ["bo@example.com"]);

    const gone = await bed.enqueue(d, welcome, { userId: "u-gone", recipient: undefined });
    d.sender.wake();
    await until("FAILED", async () => (await findNotification(bed.db.orm, gone))?.state === "FAILED");
    assert.match((await findNotification(bed.db.orm, gone))?.lastError ?? "", /not found/);
    assert.equal(await metric(d.registry, "notification_failed_total", { reason: "no_recipient" }), 1);
    assert.equal(mail().length, 1);
  });

  it("one notification per dedupe key; the oldest unsent is reported while it waits", async () => {
    const d = bed.delivery({ smtpUrl: sink.url });
    const first = await bed.enqueue(d, confirmed, { dedupeKey: "order-confirmed:o1" });
    const again = await bed.enqueue(d, confirmed, { dedupeKey: "order-confirmed:o1" });
    assert.equal(again, first);
    assert.deepEqual(await bed.states(), { PENDING: 1 });
    await sleep(1100);
    await d.sender.refreshGauge();
    assert.ok((await metric(d.registry, "notification_oldest_unsent_seconds")) >= 1);
  });
});
