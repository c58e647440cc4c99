// Templates: each kind says the facts it must, in the event's zone and currency, escaped in HTML.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import QRCode from "qrcode";
import { type NotificationKind, notificationKinds, parseContent } from "../domain/kinds.js";
import { formatDateTime, formatMoney } from "./format.js";
import { escapeHtml, html } from "./html.js";
import { type RenderContext, type RenderedEmail, renderEmail } from "./index.js";
import { samples } from "./samples.js";

const ctx: RenderContext = { locale: "en-GB", recipientName: "Ana O'Neil", brand: "Boxoffice" };
const render = (kind: NotificationKind, payload: unknown = samples[kind], c = ctx): Promise<RenderedEmail> =>
  renderEmail(parseContent(kind, payload), c);

/** The visible text of the HTML part (tags dropped, entities decoded), to look for facts in. */
const visible = (h: string) =>
  h
    .replace(/<[^>]*>/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ");

/** Asserts every fact appears in the subject+text and in the HTML's visible text. */
function says(mail: RenderedEmail, ...facts: string[]) {
  const text = `${mail.subject}\n${mail.text}`;
  const page = visible(mail.html);
  for (const f of facts) {
    assert.ok(text.includes(f), `text part lacks ${JSON.stringify(f)}:\n${text}`);
    assert.ok(page.includes(f.replace(/\s+/g, " ")), `HTML part lacks ${JSON.stringify(f)}`);
  }
}

// pngjs comes with qrcode (which writes the PNGs with it) and has no type declarations
const { PNG } = createRequire(import.meta.url)("pngjs") as {
  PNG: { sync: { read(png: Buffer): { width: number; data: Buffer } } };
};

/** True when the PNG shows exactly the QR symbol of `code` (module by module). */
function pngShowsQr(png: Buffer, code: string): boolean {
  const img = PNG.sync.read(png);
  const qr = QRCode.create(code, { errorCorrectionLevel: "M" });
  const size = qr.modules.size;
  const scale = img.width / (size + 4); // margin 2 on each side
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      const x = Math.floor((c + 2.5) * scale);
      const y = Math.floor((r + 2.5) * scale);
      const dark = img.data[(y * img.width + x) * 4]! < 128;
      if (dark !== Boolean(qr.modules.get(r, c))) return false;
    }
  }
  return true;
}

describe("notification templates", () => {
  it("every kind renders a subject, a text part and an HTML part from its sample, greeting by name", async () => {
    for (const kind of notificationKinds) {
      const mail = await render(kind);
      assert.ok(mail.subject.length > 10, kind);
      assert.ok(!/[\r\n]/.test(mail.subject), `${kind}: a subject is one line`);
      says(mail, "Hello Ana O'Neil,");
      assert.match(mail.html, /^<!DOCTYPE html>/);
    }
    const anonymous = await render("WELCOME", undefined, { ...ctx, recipientName: "" });
    assert.match(anonymous.text, /^Hello,\n/);
  });

  it("order confirmed: each ticket's place and code, the time in the event's zone, the total, one inline QR per ticket", async () => {
    const mail = await render("ORDER_CONFIRMED");
    says(
      mail,
      "Your 3 tickets for Spring Gala <Live> & Friends",
      "Saturday, 14 March 2026 at 20:00 CET", // 19:00 UTC, in Berlin
      "Philharmonie, Herbert-von-Karajan-Straße 1, Berlin",
      "€148.50",
      "0192a7f0-0000-7000-8000-0000000000a1",
      "Block A, row 3, seat 12",
      "Block A, row 3, seat 13",
      "Standing (general admission)",
      "BX1.AAAA-1111",
      "BX1.BBBB-2222",
      "BX1.CCCC-3333",
    );
    assert.ok(!mail.text.includes("19:00"), "never the UTC time");
    assert.equal(mail.attachments.length, 3);
    const codes = ["BX1.AAAA-1111", "BX1.BBBB-2222", "BX1.CCCC-3333"];
    for (const [i, a] of mail.attachments.entries()) {
      assert.equal(a.contentType, "image/png");
      assert.ok(mail.html.includes(`src="cid:${a.cid}"`), `the HTML shows attachment ${a.cid}`);
      assert.ok(pngShowsQr(a.content, codes[i]!), `attachment ${i + 1} is the QR of ${codes[i]}`);
      assert.ok(!pngShowsQr(a.content, codes[(i + 1) % 3]!), "and not of another code");
    }
    assert.equal(new Set(mail.attachments.map((a) => a.cid)).size, 3);
    // the same input renders the same bytes: a resend is the same message
    const again = await render("ORDER_CONFIRMED");
    assert.deepEqual(again, mail);
  });

  it("escapes names, reasons and codes in HTML; the text part keeps them as written", async () => {
    const mail = await render("EVENT_CANCELLED", {
      ...samples.EVENT_CANCELLED,
      eventReason: `</blockquote><script>alert("x")</script>`,
    });
    assert.ok(!mail.html.includes("<script>"));
    assert.ok(mail.html.includes("&lt;/blockquote&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
    assert.ok(mail.html.includes("Spring Gala &lt;Live&gt; &amp; Friends"));
    assert.ok(mail.text.includes(`> </blockquote><script>alert("x")</script>`));
    const confirmed = await render("ORDER_CONFIRMED", {
      ...samples.ORDER_CONFIRMED,
      tickets: [{ ticketId: "t1", section: `"><img src=x>`, code: `a"b<c` }],
    });
    assert.ok(!confirmed.html.includes("<img src=x>"));
    assert.ok(confirmed.html.includes(`alt="QR code of ticket 1: a&quot;b&lt;c"`));
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    assert.equal(html`<b>${html`<i>${"<"}</i>`}</b>`.value, "<b><i>&lt;</i></b>");
  });

  it("order cancelled: a plain cancel with and without a refund; the event's cancellation says a refund follows", async () => {
    const refunded = await render("ORDER_CANCELLED");
    says(refunded, "Asked by the buyer", "We are refunding €148.50", "will email you once it is done");
    const unpaid = await render("ORDER_CANCELLED", { ...samples.ORDER_CANCELLED, reason: "", refund: null });
    says(unpaid, "Nothing was charged");
    assert.ok(!unpaid.text.includes("Reason given"));

    const eventGone = await render("EVENT_CANCELLED");
    says(
      eventGone,
      "Cancelled: Spring Gala <Live> & Friends",
      "has been cancelled by the organiser",
      "The soloist is ill <sadly>.",
      "The full amount of €148.50 is refunded",
      "Saturday, 14 March 2026 at 20:00 CET",
    );
    // one email per holder for this cause: it must not promise a second one about the refund
    assert.ok(!eventGone.text.includes("email you"));
  });

  it("order failed: the reason in words, the places released", async () => {
    says(await render("ORDER_FAILED"), "Your payment was declined.", "places you held are released");
    const unknown = await render("ORDER_FAILED", { ...samples.ORDER_FAILED, reason: "SOMETHING_NEW" });
    says(unknown, "The payment could not be completed.", "Reference: SOMETHING_NEW");
  });

  it("payment refunded and event rescheduled: amounts, and both times in the event's zone", async () => {
    says(await render("PAYMENT_REFUNDED"), "Refund of €49.50", "This is a partial refund.");
    says(await render("PAYMENT_REFUNDED", { ...samples.PAYMENT_REFUNDED, fullyRefunded: true }), "refunded in full");
    const moved = await render("EVENT_RESCHEDULED");
    // 18:30 UTC on 18 April is 20:30 in Berlin (CEST, summer time)
    says(moved, "New date for", "Saturday, 18 April 2026 at 20:30 CEST", "Saturday, 14 March 2026 at 20:00 CET");
    const tokyo = await render("EVENT_RESCHEDULED", {
      ...samples.EVENT_RESCHEDULED,
      event: { ...samples.EVENT_RESCHEDULED.event, timeZone: "Asia/Tokyo" },
    });
    says(tokyo, "Sunday, 19 April 2026 at 03:30 GMT+9");
  });

  it("account emails carry their link (http/https only) and its expiry", async () => {
    says(
      await render("WELCOME"),
      "Welcome to Boxoffice",
      "https://boxoffice.example/verify-email?token=sample-token-1234",
      "Monday, 2 March 2026 at 09:30 UTC",
    );
    const reset = await render("PASSWORD_RESET");
    says(reset, "Reset your Boxoffice password", "https://boxoffice.example/reset-password?token=sample-token-1234");
    assert.ok(reset.html.includes('href="https://boxoffice.example/reset-password?token=sample-token-1234"'));
    says(await render("EMAIL_VERIFICATION"), "Confirm your email address");
    assert.throws(
      () =>
        parseContent("WELCOME", { verification: { url: "javascript:alert(1)", expireTime: "2026-03-02T09:30:00Z" } }),
      /verification\.url/,
    );
  });

  it("a welcome without a verification token, and a refund whose event is unknown, still read well", async () => {
    const welcome = await render("WELCOME", { verification: null });
    says(welcome, "Welcome to Boxoffice", "Thanks for creating your Boxoffice account.");
    assert.equal(welcome.subject, "Welcome to Boxoffice");
    assert.ok(!welcome.text.includes("Confirm my email address"));
    const refund = await render("PAYMENT_REFUNDED", { ...samples.PAYMENT_REFUNDED, event: null });
    assert.equal(refund.subject, "Refund of €49.50 for your order");
    says(refund, "Refunded in total", samples.PAYMENT_REFUNDED.orderId);
  });

  it("amounts use ISO 4217 minor units exactly, in the locale's format", () => {
    assert.equal(formatMoney({ currencyCode: "EUR", amountMinor: 4950 }, "en-GB"), "€49.50");
    assert.equal(formatMoney({ currencyCode: "EUR", amountMinor: 4950 }, "de-DE"), "49,50\u00a0€");
    assert.equal(formatMoney({ currencyCode: "JPY", amountMinor: 5000 }, "en-GB"), "JP¥5,000");
    assert.equal(formatMoney({ currencyCode: "BHD", amountMinor: 1234 }, "en-GB"), "BHD\u00a01.234");
    // CLDR shows HUF without decimals; ISO's minor unit is still 1/100: 1050 is 10.50, never rounded
    assert.equal(formatMoney({ currencyCode: "HUF", amountMinor: 1050 }, "en-GB"), "HUF\u00a010.50");
    assert.equal(formatMoney({ currencyCode: "EUR", amountMinor: 5 }, "en-GB"), "€0.05");
    assert.equal(
      formatMoney({ currencyCode: "USD", amountMinor: Number.MAX_SAFE_INTEGER }, "en-US"),
      "$90,071,992,547,409.91",
    );
    assert.equal(
      formatDateTime("2026-07-01T12:00:00Z", "America/New_York", "en-US"),
      "Wednesday, July 1, 2026 at 08:00 AM EDT",
    );
  });

  it("rejects payloads that miss facts or carry unknown ones", () => {
    const { tickets: _t, ...noTickets } = samples.ORDER_CONFIRMED;
    assert.throws(() => parseContent("ORDER_CONFIRMED", noTickets), /invalid ORDER_CONFIRMED payload: tickets/);
    assert.throws(() => parseContent("ORDER_CONFIRMED", { ...samples.ORDER_CONFIRMED, tickets: [] }), /tickets/);
    assert.throws(
      () =>
        parseContent("ORDER_FAILED", {
          ...samples.ORDER_FAILED,
          event: { ...samples.ORDER_FAILED.event, timeZone: "Mars/Olympus" },
        }),
      /event\.timeZone/,
    );
    assert.throws(
      () =>
        parseContent("PAYMENT_REFUNDED", {
          ...samples.PAYMENT_REFUNDED,
          amount: { currencyCode: "XYZ", amountMinor: 1 },
        }),
      /amount\.currencyCode/,
    );
    assert.throws(() => parseContent("ORDER_FAILED", { ...samples.ORDER_FAILED, extra: 1 }), /ORDER_FAILED/);
    assert.throws(() => parseContent("NEWSLETTER", {}), /unknown kind/);
  });
});
