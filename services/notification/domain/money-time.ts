/**
 * Minor units and time zones, without I/O. Amounts travel as integer minor units of ISO 4217
 * (boxoffice.common.v1.Money); turning them into a decimal uses ISO's exponent, not the display
 * digits Intl takes from CLDR, which differ for a few currencies (CLDR shows HUF and IDR without
 * decimals and IQD with none, where ISO has 2, 2 and 3): 1050 HUF-minor is 10.50 HUF, never 1050.
 */

/** ISO 4217 currencies whose minor unit is not 1/100 (the rest have exponent 2). */
const EXPONENT: Readonly<Record<string, number>> = {
  ...Object.fromEntries(
    "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(" ").map((c) => [c, 0]),
  ),
  ...Object.fromEntries("BHD IQD JOD KWD LYD OMR TND".split(" ").map((c) => [c, 3])),
  CLF: 4,
  UYW: 4,
};

const currencies = new Set(Intl.supportedValuesOf("currency"));

/** True for a currency code the runtime's Intl knows (ISO 4217, upper case). */
export const knownCurrency = (code: string): boolean => currencies.has(code);

/** Digits after the decimal point of one major unit in ISO 4217 (2 for EUR, 0 for JPY, 3 for BHD). */
export const minorUnitDigits = (currencyCode: string): number => EXPONENT[currencyCode] ?? 2;

/**
 * The exact decimal string of an amount in minor units, e.g. (4950, "EUR") → "49.50",
 * (5000, "JPY") → "5000", (1234, "BHD") → "1.234". No floating point is involved.
 */
export function minorToDecimal(amountMinor: number, currencyCode: string): string {
  if (!Number.isSafeInteger(amountMinor)) throw new RangeError(`not a safe integer amount: ${amountMinor}`);
  const digits = minorUnitDigits(currencyCode);
  const sign = amountMinor < 0 ? "-" : "";
  const abs = String(Math.abs(amountMinor)).padStart(digits + 1, "0");
  if (digits === 0) return `${sign}${abs}`;
  return `${sign}${abs.slice(0, -digits)}.${abs.slice(-digits)}`;
}

/** Zones already asked about (building a formatter to ask costs a few hundred µs); bounded. */
const knownZones = new Map<string, boolean>();

/** True for an IANA time zone name the runtime knows ("Europe/Berlin", "UTC"). */
export function validTimeZone(zone: string): boolean {
  if (zone.length === 0 || zone.length > 64) return false;
  const known = knownZones.get(zone);
  if (known !== undefined) return known;
  let valid: boolean;
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    valid = true;
  } catch {
    valid = false;
  }
  if (knownZones.size >= 512) knownZones.clear();
  knownZones.set(zone, valid);
  return valid;
}
