/**
 * `boxoffice mail preview KIND`: one email rendered with the sample data, as the sender would send
 * it (an .eml with both parts and the inline images), or just its text or HTML part.
 */
import { createTransport } from "nodemailer";
import type { NotificationConfig } from "../config.js";
import { composeEmail } from "../delivery/email.js";
import { isNotificationKind, type NotificationKind, notificationKinds, parseContent } from "../domain/kinds.js";
import { domainOf } from "../domain/message-id.js";
import { renderEmail } from "./index.js";
import { sampleRecipient, samples } from "./samples.js";

export type PreviewFormat = "eml" | "text" | "html";

/** "order-confirmed", "ORDER_CONFIRMED" and "order_confirmed" all name ORDER_CONFIRMED. */
export function kindFromArg(arg: string): NotificationKind | undefined {
  const k = arg.trim().toUpperCase().replace(/-/g, "_");
  return isNotificationKind(k) ? k : undefined;
}

/** The kinds as the command line spells them. */
export const previewKinds = (): string[] => notificationKinds.map((k) => k.toLowerCase().replace(/_/g, "-"));

export async function previewMail(
  kind: NotificationKind,
  format: PreviewFormat,
  cfg: Pick<NotificationConfig, "from" | "locale" | "brand">,
): Promise<string> {
  const content = parseContent(kind, samples[kind]);
  const render = { locale: cfg.locale, brand: cfg.brand };
  if (format !== "eml") {
    const mail = await renderEmail(content, { ...render, recipientName: sampleRecipient.name });
    return format === "text" ? `Subject: ${mail.subject}\n\n${mail.text}` : mail.html;
  }
  const message = await composeEmail(
    {
      id: "0192a7f0-0000-7000-8000-00000000beef",
      content,
      recipient: { address: sampleRecipient.email, name: sampleRecipient.name },
      createTime: new Date("2026-03-01T09:30:00.000Z"),
      attempt: 1,
    },
    { from: cfg.from, messageIdDomain: domainOf(cfg.from), render },
  );
  const info = await createTransport({ streamTransport: true, buffer: true, newline: "unix" }).sendMail(message);
  return info.message.toString("utf8");
}
