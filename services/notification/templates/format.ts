/**
 * Times in the event's zone and amounts in their currency, through Intl. The locale is the
 * sender's (BOXOFFICE_NOTIFICATION_LOCALE); the zone is always the event's, so a buyer reads the
 * start time the venue's clock will show.
 */
import type { Money } from "../domain/kinds.js";
import { minorToDecimal, minorUnitDigits } from "../domain/money-time.js";

/**
 * Building an Intl formatter loads locale and zone data (a few hundred µs; it showed in the
 * purchase path's CPU profile, once per email), using one is cheap: formatters are kept per
 * locale + zone or currency. Bounded: a full cache starts over (there are few locales, zones and
 * currencies in use; the bound only stops hostile input from growing it).
 */
function memo<T>(make: (key: string) => T, max = 512): (key: string) => T {
  const cache = new Map<string, T>();
  return (key) => {
    let v = cache.get(key);
    if (v === undefined) {
      if (cache.size >= max) cache.clear();
      v = make(key);
      cache.set(key, v);
    }
    return v;
  };
}

const dateTimeFormat = memo((key) => {
  const [locale, timeZone] = key.split("\u0000");
  return new Intl.DateTimeFormat(locale, {
    weekday: "long",
    day: "numeric",
    month: "long",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZone,
    timeZoneName: "short",
  });
});

const moneyFormat = memo((key) => {
  const [locale, currency] = key.split("\u0000");
  const digits = minorUnitDigits(currency!);
  return new Intl.NumberFormat(locale, {
    style: "currency",
    currency,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
});

/** e.g. "Saturday, 14 March 2026 at 20:00 CET" for Europe/Berlin in en-GB. */
export function formatDateTime(at: string | Date, timeZone: string, locale: string): string {
  return dateTimeFormat(`${locale}\u0000${timeZone}`).format(new Date(at));
}

/** e.g. "€49.50"; exactly the minor units given (no rounding to CLDR's display digits). */
export function formatMoney(m: Money, locale: string): string {
  const f = moneyFormat(`${locale}\u0000${m.currencyCode}`);
  // a decimal string is formatted exactly (Intl.NumberFormat v3); a number could round
  return f.format(minorToDecimal(m.amountMinor, m.currencyCode) as `${number}`);
}
