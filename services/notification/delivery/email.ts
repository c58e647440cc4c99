/**
 * The email channel: renders a notification and hands it to an SMTP server with nodemailer (a
 * pool of connections, so a burst of emails does not open one connection each).
 */
import { createTransport } from "nodemailer";
import { messageIdFor } from "../domain/message-id.js";
import { type RenderContext, renderEmail } from "../templates/index.js";
import type { DeliveryChannel, DeliveryResult, OutgoingNotification } from "./channel.js";
import { classifySmtpError, redact } from "./smtp-errors.js";

export interface EmailChannelOptions {
  /** smtp://host:port, smtps://user:pass@host:465, … (BOXOFFICE_SMTP_URL) */
  smtpUrl: string;
  /** the From header, e.g. "Boxoffice <no-reply@boxoffice.example>" */
  from: string;
  /** right-hand side of every Message-ID */
  messageIdDomain: string;
  render: Omit<RenderContext, "recipientName">;
  /** connections kept open to the server */
  maxConnections?: number;
  connectionTimeoutMs?: number;
  greetingTimeoutMs?: number;
  /** idle time on an open connection before it counts as timed out */
  socketTimeoutMs?: number;
}

/** The message as nodemailer takes it: what the sink stores and what a preview prints. */
export async function composeEmail(
  n: OutgoingNotification,
  o: Pick<EmailChannelOptions, "from" | "messageIdDomain" | "render">,
) {
  const mail = await renderEmail(n.content, { ...o.render, recipientName: n.recipient.name });
  return {
    from: o.from,
    to: { name: n.recipient.name, address: n.recipient.address },
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    attachments: mail.attachments.map((a) => ({ ...a, contentDisposition: "inline" as const })),
    // the same on every attempt: a resend is recognisably the same message
    messageId: messageIdFor(n.id, o.messageIdDomain),
    date: n.createTime,
    headers: {
      // RFC 3834: no vacation auto-replies to transactional mail
      "Auto-Submitted": "auto-generated",
      "X-Boxoffice-Notification": n.id,
      "X-Boxoffice-Kind": n.content.kind,
    },
  };
}

export function createEmailChannel(o: EmailChannelOptions): DeliveryChannel {
  const transport = createTransport({
    url: o.smtpUrl,
    pool: true,
    maxConnections: o.maxConnections ?? 4,
    connectionTimeout: o.connectionTimeoutMs ?? 10_000,
    greetingTimeout: o.greetingTimeoutMs ?? 10_000,
    socketTimeout: o.socketTimeoutMs ?? 60_000,
  });
  // a pooled connection that dies while idle reports here; the next send opens a new one
  transport.on("error", () => undefined);
  return {
    name: "EMAIL",
    async deliver(n: OutgoingNotification): Promise<DeliveryResult> {
      const message = await composeEmail(n, o);
      try {
        const info = await transport.sendMail(message);
        return { ok: true, detail: redact(info.response ?? "accepted") };
      } catch (e) {
        return classifySmtpError(e);
      }
    },
    async close() {
      transport.close();
    },
  };
}
