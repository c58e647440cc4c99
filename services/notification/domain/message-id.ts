/**
 * The Message-ID of a notification, derived from its id alone: every attempt at the same
 * notification carries the same one, so a resend (the sender died after the server accepted the
 * message and before the SENT commit) is recognisable downstream as the same message (RFC 5322
 * §3.6.4: a Message-ID names one message), and mail clients and our tests can tell it from a
 * second notification.
 */
export function messageIdFor(notificationId: string, domain: string): string {
  if (!/^[A-Za-z0-9-]{1,64}$/.test(notificationId)) throw new Error(`not a notification id: ${notificationId}`);
  if (!/^[A-Za-z0-9.-]{1,253}$/.test(domain)) throw new Error(`not a Message-ID domain: ${domain}`);
  return `<${notificationId.toLowerCase()}@${domain.toLowerCase()}>`;
}

/** The domain of an address ("Boxoffice <no-reply@boxoffice.example>" → "boxoffice.example"). */
export function domainOf(address: string): string {
  const m = /@([A-Za-z0-9.-]+)>?\s*$/.exec(address);
  if (!m?.[1]) throw new Error(`no domain in ${address}`);
  return m[1].toLowerCase();
}

/** "jane.doe@example.com" → "j***@example.com": recipients as ListNotifications shows them. */
export function maskAddress(address: string): string {
  const at = address.lastIndexOf("@");
  if (at <= 0) return address === "" ? "" : "***";
  return `${address[0]}***${address.slice(at)}`;
}
