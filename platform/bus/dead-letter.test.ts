import assert from "node:assert/strict";
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { headers, type NatsConnection } from "@nats-io/transport-node";
import { infraUrls, testPrefix } from "../../test/support/infra.js";
import { infraNames } from "../config/names.js";
import {
  consumerToken,
  type DeadMessage,
  DlqHeader,
  deadLetterSubject,
  listDeadLetters,
  publishDeadLetter,
  replayDeadLetters,
} from "./dead-letter.js";
import { connectNats, ensureDeadLetterStream, ensureServiceStream } from "./nats.js";

const settings = { replicas: 1, maxAgeMs: 3600_000, duplicateWindowMs: 120_000 };

describe("dead-letter stream (real NATS JetStream)", () => {
  const prefix = testPrefix();
  const names = infraNames(prefix);
  const subject = names.subject("shop", "order_paid");
  const dlq = names.stream("dlq");
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let js: JetStreamClient;

  before(async () => {
    nc = await connectNats(infraUrls().natsUrl, "dead-letter-test");
    jsm = await jetstreamManager(nc);
    js = jetstream(nc);
    await ensureServiceStream(jsm, names, "shop", settings);
    await ensureDeadLetterStream(jsm, names, settings);
  });
  after(async () => {
    for await (const s of jsm.streams.list())
      if (s.config.name.startsWith(`${prefix.toUpperCase()}_`)) await jsm.streams.delete(s.config.name);
    await nc.close();
  });

  /** Publishes an "event" to the shop stream and returns it as a consumer would have received it. */
  async function delivered(id: string, deliveries = 1): Promise<DeadMessage> {
    const h = headers();
    h.set("X-Trace", `trace-${id}`);
    h.set("Nats-Expected-Stream", names.stream("shop"));
    const ack = await js.publish(subject, new TextEncoder().encode(`body-${id}`), { msgID: id, headers: h });
    const sm = await jsm.streams.getMessage(names.stream("shop"), { seq: ack.seq });
    assert.ok(sm);
    return {
      subject: sm.subject,
      data: sm.data,
      headers: sm.header,
      info: { stream: ack.stream, streamSequence: ack.seq, deliveryCount: deliveries },
    } as unknown as DeadMessage;
  }
  const at = new Date(Date.UTC(2030, 0, 1, 12));

  it("keeps the body and the original headers, adds ours, and drops the server-interpreted Nats-* ones", async () => {
    const msg = await delivered("e1", 5);
    const ack = await publishDeadLetter(js, names, {
      consumer: "mail.order_paid",
      msg,
      reason: "smtp refused\r\nline two",
      time: at,
    });
    assert.equal(ack.stream, dlq);
    const sm = await jsm.streams.getMessage(dlq, { seq: ack.seq });
    assert.ok(sm);
    assert.equal(sm.subject, `${prefix}.dlq.mail_order_paid`);
    assert.equal(sm.subject, deadLetterSubject(names, "mail.order_paid"));
    assert.equal(new TextDecoder().decode(sm.data), "body-e1");
    const h = sm.header;
    assert.equal(h.get("X-Trace"), "trace-e1");
    assert.equal(h.get("Nats-Expected-Stream"), "", "a publish precondition is not copied");
    assert.equal(h.get(DlqHeader.originalMsgId), "e1");
    assert.equal(h.get(DlqHeader.reason), "smtp refused line two");
    assert.equal(h.get(DlqHeader.consumer), "mail.order_paid");
    assert.equal(h.get(DlqHeader.originalSubject), subject);
    assert.equal(h.get(DlqHeader.originalStream), names.stream("shop"));
    assert.equal(h.get(DlqHeader.originalSeq), String(msg.info.streamSequence));
    assert.equal(h.get(DlqHeader.deliveries), "5");
    assert.equal(h.get(DlqHeader.time), at.toISOString());
    assert.equal(h.get("Nats-Msg-Id"), `dlq-${names.stream("shop")}-${msg.info.streamSequence}-mail_order_paid`);
  });

  it("dead-lettering the same delivery twice (a crash before term) stays one entry; another consumer gets its own", async () => {
    const msg = await delivered("e2");
    const first = await publishDeadLetter(js, names, { consumer: "mail.order_paid", msg, reason: "x", time: at });
    const again = await publishDeadLetter(js, names, { consumer: "mail.order_paid", msg, reason: "x", time: at });
    assert.equal(again.duplicate, true);
    assert.equal(again.seq, first.seq);
    const other = await publishDeadLetter(js, names, { consumer: "audit.order_paid", msg, reason: "y", time: at });
    assert.equal(other.duplicate, false);
    const list = await listDeadLetters(nc, names);
    assert.deepEqual(
      list.map((d) => [d.consumer, d.eventId]),
      [
        ["mail.order_paid", "e1"],
        ["mail.order_paid", "e2"],
        ["audit.order_paid", "e2"],
      ],
    );
    assert.deepEqual(
      (await listDeadLetters(nc, names, { consumer: "audit.order_paid" })).map((d) => d.seq),
      [other.seq],
    );
    const [d] = list;
    assert.equal(d?.reason, "smtp refused line two");
    assert.equal(d?.deliveries, 5);
    assert.equal(d?.time.toISOString(), at.toISOString());
    assert.equal(d?.subject, subject);
  });

  it("replays one entry by seq to its original subject with a new message id, then removes it", async () => {
    const [d] = await listDeadLetters(nc, names, { consumer: "mail.order_paid" });
    assert.ok(d);
    const before = (await jsm.streams.info(names.stream("shop"))).state.last_seq;
    assert.equal(await replayDeadLetters(nc, names, { seq: d.seq }), 1);
    const sm = await jsm.streams.getMessage(names.stream("shop"), { seq: before + 1 });
    assert.ok(sm, "not dropped by the duplicate window although e1 was published with msg id e1 just now");
    assert.equal(sm.subject, subject);
    assert.equal(new TextDecoder().decode(sm.data), "body-e1");
    assert.equal(sm.header.get("X-Trace"), "trace-e1");
    assert.match(sm.header.get("Nats-Msg-Id"), new RegExp(`^replay-${d.seq}-[0-9a-f]+$`));
    assert.deepEqual(
      sm.header.keys().filter((k) => k.toLowerCase().startsWith("boxoffice-dlq-")),
      [],
    );
    assert.equal(
      (await listDeadLetters(nc, names)).some((x) => x.seq === d.seq),
      false,
    );
    assert.equal(await replayDeadLetters(nc, names, { seq: d.seq }), 0, "already replayed");
  });

  it("replays by consumer, then all", async () => {
    assert.equal(await replayDeadLetters(nc, names, { consumer: "audit.order_paid" }), 1);
    assert.deepEqual(
      (await listDeadLetters(nc, names)).map((d) => d.consumer),
      ["mail.order_paid"],
    );
    assert.equal(await replayDeadLetters(nc, names, { all: true }), 1);
    assert.deepEqual(await listDeadLetters(nc, names), []);
  });

  it("lists nothing and replays nothing where there is no DLQ stream", async () => {
    const elsewhere = infraNames(testPrefix());
    assert.deepEqual(await listDeadLetters(nc, elsewhere), []);
    assert.equal(await replayDeadLetters(nc, elsewhere, { all: true }), 0);
    assert.equal(await replayDeadLetters(nc, elsewhere, { seq: 1 }), 0);
  });

  it("a consumer name becomes one subject token", () => {
    assert.equal(consumerToken("notification.order_confirmed"), "notification_order_confirmed");
    assert.equal(consumerToken("a b*>c"), "a_b__c");
  });
});
