/**
 * Every email is a {@link Draft}: a subject and a list of blocks. One layout turns a draft into
 * both the text part and the HTML part, so the two always say the same thing, and HTML escaping
 * happens in one place.
 */
import { html, type SafeHtml } from "./html.js";

/** A ticket as shown: where it admits to, its code, and the Content-ID of its QR image. */
export interface TicketBlockItem {
  place: string;
  code: string;
  /** Content-ID of the inline QR image (without angle brackets) */
  cid: string;
}

export type Block =
  | { type: "p"; text: string }
  | { type: "facts"; rows: ReadonlyArray<readonly [label: string, value: string]> }
  | { type: "button"; label: string; url: string }
  | { type: "tickets"; items: readonly TicketBlockItem[] }
  | { type: "quote"; label: string; text: string }
  | { type: "small"; text: string };

export interface Draft {
  subject: string;
  /** the first line a mail client shows in its list */
  preheader: string;
  /** "Hello Ana," */
  greeting: string;
  blocks: readonly Block[];
}

/** What every email ends with. */
export interface Footer {
  brand: string;
  /** why the person gets this email */
  reason: string;
}

const indent = (s: string, by = "  ") =>
  s
    .split("\n")
    .map((l) => by + l)
    .join("\n");

/** The text/plain part. */
export function renderText(d: Draft, footer: Footer): string {
  const parts: string[] = [d.greeting];
  for (const b of d.blocks) {
    switch (b.type) {
      case "p":
      case "small":
        parts.push(b.text);
        break;
      case "facts": {
        const width = Math.max(...b.rows.map(([l]) => l.length)) + 1;
        parts.push(b.rows.map(([l, v]) => `${`${l}:`.padEnd(width)} ${v}`).join("\n"));
        break;
      }
      case "button":
        parts.push(`${b.label}:\n${b.url}`);
        break;
      case "tickets":
        parts.push(b.items.map((t, i) => `Ticket ${i + 1}: ${t.place}\n  Code: ${t.code}`).join("\n\n"));
        break;
      case "quote":
        parts.push(`${b.label}\n${indent(b.text, "> ")}`);
        break;
    }
  }
  parts.push(`-- \n${footer.brand}\n${footer.reason}`);
  return `${parts.join("\n\n")}\n`;
}

const font = "font-family:Helvetica,Arial,sans-serif;color:#1f2933;";

function block(b: Block): SafeHtml {
  switch (b.type) {
    case "p":
      return html`<p style="${font}font-size:16px;line-height:1.5;margin:0 0 16px">${b.text}</p>`;
    case "small":
      return html`<p style="${font}font-size:13px;line-height:1.5;color:#52606d;margin:0 0 16px">${b.text}</p>`;
    case "facts":
      return html`<table role="presentation" style="border-collapse:collapse;margin:0 0 16px">${b.rows.map(
        ([l, v]) =>
          html`<tr><th scope="row" style="${font}text-align:left;padding:4px 16px 4px 0;font-size:14px;color:#52606d;vertical-align:top">${l}</th><td style="${font}padding:4px 0;font-size:15px">${v}</td></tr>`,
      )}</table>`;
    case "button":
      return html`<p style="margin:0 0 16px"><a href="${b.url}" style="${font}display:inline-block;background:#1d4ed8;color:#ffffff;text-decoration:none;padding:12px 20px;border-radius:6px;font-size:16px">${b.label}</a></p><p style="${font}font-size:13px;color:#52606d;margin:0 0 16px;word-break:break-all">${b.url}</p>`;
    case "tickets":
      return html`${b.items.map(
        (t, i) =>
          html`<table role="presentation" style="border:1px solid #cbd2d9;border-radius:6px;margin:0 0 16px;width:100%"><tr><td style="padding:12px;vertical-align:top"><p style="${font}font-size:13px;color:#52606d;margin:0">Ticket ${i + 1}</p><p style="${font}font-size:16px;font-weight:bold;margin:4px 0 8px">${t.place}</p><p style="${font}font-size:13px;margin:0">Code: <code>${t.code}</code></p></td><td style="padding:12px;width:180px"><img src="cid:${t.cid}" width="180" height="180" alt="QR code of ticket ${i + 1}: ${t.code}" style="display:block"></td></tr></table>`,
      )}`;
    case "quote":
      return html`<p style="${font}font-size:14px;color:#52606d;margin:0 0 4px">${b.label}</p><blockquote style="${font}font-size:15px;margin:0 0 16px;padding-left:12px;border-left:3px solid #cbd2d9">${b.text}</blockquote>`;
  }
}

/** The text/html part: a single-column page with inline styles (what mail clients render). */
export function renderHtml(d: Draft, footer: Footer): string {
  return html`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${d.subject}</title></head>
<body style="margin:0;padding:0;background:#f5f7fa">
<span style="display:none;max-height:0;overflow:hidden">${d.preheader}</span>
<table role="presentation" width="100%" style="border-collapse:collapse"><tr><td align="center" style="padding:24px 12px">
<table role="presentation" style="max-width:600px;width:100%;background:#ffffff;border-radius:8px"><tr><td style="padding:24px">
<p style="${font}font-size:20px;font-weight:bold;margin:0 0 16px">${footer.brand}</p>
<p style="${font}font-size:16px;margin:0 0 16px">${d.greeting}</p>
${d.blocks.map(block)}
<p style="${font}font-size:12px;color:#7b8794;margin:24px 0 0;border-top:1px solid #e4e7eb;padding-top:12px">${footer.reason}</p>
</td></tr></table>
</td></tr></table>
</body></html>
`.value;
}
