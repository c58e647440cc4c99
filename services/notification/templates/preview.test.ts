// `boxoffice mail preview KIND`: every kind renders; the .eml is what the sender would send.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { simpleParser } from "mailparser";
import { kindFromArg, previewKinds, previewMail } from "./preview.js";

const cfg = { from: "Boxoffice <no-reply@boxoffice.example>", locale: "en-GB", brand: "Boxoffice" };

describe("mail preview", () => {
  it("names kinds the way the command line spells them", () => {
    assert.equal(kindFromArg("order-confirmed"), "ORDER_CONFIRMED");
    assert.equal(kindFromArg("EVENT_RESCHEDULED"), "EVENT_RESCHEDULED");
    assert.equal(kindFromArg("newsletter"), undefined);
    assert.equal(previewKinds().length, 9);
  });

  it("every kind renders as an .eml with both parts, the order confirmation with its QR images", async () => {
    for (const arg of previewKinds()) {
      const kind = kindFromArg(arg)!;
      const parsed = await simpleParser(await previewMail(kind, "eml", cfg), { skipImageLinks: true });
      assert.equal(parsed.messageId, "<0192a7f0-0000-7000-8000-00000000beef@boxoffice.example>", arg);
      assert.ok((parsed.text ?? "").includes("Hello Ana O'Neil,"), arg);
      assert.match(String(parsed.html), /^<!DOCTYPE html>/, arg);
      const images = parsed.attachments.filter((a) => a.contentType === "image/png").length;
      assert.equal(images, kind === "ORDER_CONFIRMED" ? 3 : 0, arg);
    }
    assert.match(await previewMail("PASSWORD_RESET", "text", cfg), /^Subject: Reset your Boxoffice password\n/);
    assert.match(
      await previewMail("PASSWORD_RESET", "html", cfg),
      /href="https:\/\/boxoffice\.example\/reset-password/,
    );
  });

  it("`boxoffice mail preview order-confirmed --text` prints to stdout", async () => {
    const cli = new URL("../../../cmd/boxoffice.ts", import.meta.url).pathname;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", cli, "mail", "preview", "order-confirmed", "--text"],
      {
        env: { ...process.env, BOXOFFICE_NOTIFICATION_LOCALE: "de-DE" },
      },
    );
    assert.match(stdout, /^Subject: Your 3 tickets for Spring Gala <Live> & Friends\n/);
    assert.ok(stdout.includes("Samstag, 14. März 2026 um 20:00 MEZ"), "the configured locale, the event's zone");
    assert.ok(stdout.includes("BX1.CCCC-3333"));
  });
});
