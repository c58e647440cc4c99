import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { simpleParser } from "mailparser";
import { createTransport } from "nodemailer";
import { listMail, type SmtpSink, startSmtpSink } from "./index.js";

const log = process.env.HARNESS_VERBOSE ? (l: string) => void process.stderr.write(`[harness] ${l}\n`) : () => {};

/** One message through a fresh connection; resolves with the server's answer or rejects with nodemailer's error. */
async function send(url: string, n: number, timeoutMs = 5000): Promise<string> {
  const transport = createTransport({ url, socketTimeout: timeoutMs, connectionTimeout: timeoutMs });
  try {
    const info = await transport.sendMail({
      from: "Sender <from@example.test>",
      to: `Buyer ${n} <buyer${n}@example.test>`,
      subject: `message ${n}`,
      text: `body ${n}`,
      html: `<p>body ${n}</p>`,
      messageId: `<m${n}@example.test>`,
    });
    return info.response;
  } finally {
    transport.close();
  }
}

type SendError = Error & { code?: string; responseCode?: number; originalCode?: string };
const failure = (p: Promise<unknown>): Promise<SendError> =>
  p.then(
    () => assert.fail("expected the send to fail"),
    (e: SendError) => e,
  );

describe("harness: SMTP sink", () => {
  let dir: string;
  let sink: SmtpSink;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "boxoffice-smtp-"));
    sink = await startSmtpSink({ dataDir: join(dir, "smtp"), mailDir: join(dir, "mail"), log });
  });
  afterEach(async () => {
    await sink.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("stores each accepted message as one .eml, with the envelope recipients", async () => {
    assert.match(sink.url, /^smtp:\/\/127\.0\.0\.1:\d+$/);
    await send(sink.url, 1);
    await send(sink.url, 2);
    const mail = listMail(sink.mailDir);
    assert.deepEqual(
      mail.map((m) => [m.messageId, m.subject, m.deliveredTo]),
      [
        ["<m1@example.test>", "message 1", ["buyer1@example.test"]],
        ["<m2@example.test>", "message 2", ["buyer2@example.test"]],
      ],
    );
    const parsed = await simpleParser(mail[0]!.raw);
    assert.equal(parsed.text?.trim(), "body 1");
    assert.equal(parsed.html, "<p>body 1</p>");
    assert.deepEqual(readdirSync(sink.mailDir).sort(), mail.map((m) => m.file.slice(sink.mailDir.length + 1)).sort());
    assert.equal((await sink.status()).accepted, 2);
  });

  it("fails temporarily for the next N messages, then accepts again; nothing refused is stored", async () => {
    await sink.fail({ mode: "temporary", count: 2 });
    for (const n of [1, 2]) {
      const e = await failure(send(sink.url, n));
      assert.equal(e.responseCode, 451);
    }
    await send(sink.url, 3);
    assert.deepEqual(
      listMail(sink.mailDir).map((m) => m.messageId),
      ["<m3@example.test>"],
    );
    const status = await sink.status();
    assert.equal(status.rejected, 2);
    assert.equal(status.fault, null);
  });

  it("fails permanently until reset, with the reply code asked for", async () => {
    await sink.fail({ mode: "permanent", code: 550, message: "no such user" });
    for (const n of [1, 2, 3]) {
      const e = await failure(send(sink.url, n));
      assert.equal(e.responseCode, 550);
      assert.match(e.message, /no such user/);
    }
    await sink.reset();
    await send(sink.url, 4);
    assert.equal(listMail(sink.mailDir).length, 1);
  });

  it("can leave a message unanswered, so the client times out", async () => {
    await sink.fail({ mode: "timeout", count: 1 });
    const e = await failure(send(sink.url, 1, 300));
    assert.equal(e.code, "ETIMEDOUT");
    await send(sink.url, 2);
    assert.deepEqual(
      listMail(sink.mailDir).map((m) => m.messageId),
      ["<m2@example.test>"],
    );
  });

  it("is driven by any process through the control URL in its data dir", async () => {
    // what a test in another process or a `make dev` user with curl does
    const { controlUrl } = JSON.parse(readFileSync(join(dir, "smtp", "control.json"), "utf8")) as {
      controlUrl: string;
    };
    const put = await fetch(`${controlUrl}/fault`, { method: "PUT", body: '{"mode":"permanent","count":1}' });
    assert.equal(put.status, 200);
    assert.equal((await failure(send(sink.url, 1))).responseCode, 554);
    await send(sink.url, 2);
    const bad = await fetch(`${controlUrl}/fault`, { method: "PUT", body: '{"mode":"sometimes"}' });
    assert.equal(bad.status, 400);
    const status = (await (await fetch(`${controlUrl}/status`)).json()) as { accepted: number; rejected: number };
    assert.deepEqual([status.accepted, status.rejected], [1, 1]);
  });

  it("kill() refuses connections; restart() serves the same port and keeps the mail", async () => {
    await send(sink.url, 1);
    const { port } = sink;
    await sink.kill();
    const e = await failure(send(sink.url, 2));
    assert.equal(e.originalCode ?? e.code, "ECONNREFUSED");
    await sink.restart();
    assert.equal(sink.port, port);
    await send(sink.url, 3);
    assert.deepEqual(
      listMail(sink.mailDir).map((m) => m.messageId),
      ["<m1@example.test>", "<m3@example.test>"],
    );
    assert.equal((await sink.status()).accepted, 1, "counters start again with the new process");
  });
});
