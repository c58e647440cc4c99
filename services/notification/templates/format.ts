/**
 * Times in the event's zone and amounts in their currency, through Intl. The locale is the
 * sender's (BOXOFFICE_NOTIFICATION_LOCALE); the zone is always the event's, so a buyer reads the
 * start time the venue's clock will show.
 */
import type { Money } from "../domain/kinds.js";
import { minorToDecimal, minorUnitDigits } from "../domain/money-time.js";

/** e.g. "Saturday, 14 March 2026 at 20:00 CET" for Europe/Berlin in en-GB. */
export function formatDateTime(at: string | Date, timeZone: string, locale: string): string {
  return new Intl.DateTimeFormat(locale, {
    weekday: "long",
    day: "numeric",
    month: "long",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZone,
    timeZoneName: "short",
  }).format(new Date(at));
}

/** e.g. "€49.50"; exactly the minor units given (no rounding to CLDR's display digits). */
export function formatMoney(m: Money, locale: string): string {
  const digits = minorUnitDigits(m.currencyCode);
  const f = new Intl.NumberFormat(locale, {
    style: "currency",
    currency: m.currencyCode,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
  // a decimal string is formatted exactly (Intl.NumberFormat v3); a number could round
  return f.format(minorToDecimal(m.amountMinor, m.currencyCode) as `${number}`);
}
