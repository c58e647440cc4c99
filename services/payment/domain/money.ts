import type { FieldViolation } from "../../../platform/errors/index.js";

/** An amount in a currency's minor unit; never negative in Boxoffice. */
export interface Money {
  currencyCode: string;
  amountMinor: number;
}

/** ISO 4217 codes as ICU knows them (Node's Intl data), as the event service checks prices. */
const currencies = new Set(Intl.supportedValuesOf("currency"));

/**
 * Violations of a positive amount at `field` (proto path, e.g. `amount`). Amounts are JS numbers:
 * exact up to 2^53, far above any ticket order; larger int64 values are refused, not rounded.
 */
export function moneyViolations(field: string, m: { currencyCode: string; amountMinor: bigint | number } | undefined) {
  const out: FieldViolation[] = [];
  if (m === undefined) {
    out.push({ field, description: "required", reason: "REQUIRED" });
    return out;
  }
  if (!currencies.has(m.currencyCode))
    out.push({
      field: `${field}.currency_code`,
      description: "must be an ISO 4217 code in upper case",
      reason: "INVALID_CURRENCY",
    });
  const n = BigInt(m.amountMinor);
  if (n <= 0n)
    out.push({ field: `${field}.amount_minor`, description: "must be positive", reason: "MUST_BE_POSITIVE" });
  else if (n > BigInt(Number.MAX_SAFE_INTEGER))
    out.push({ field: `${field}.amount_minor`, description: "is too large", reason: "OUT_OF_RANGE" });
  return out;
}

export function money(currencyCode: string, amountMinor: number | bigint): Money {
  return { currencyCode, amountMinor: Number(amountMinor) };
}
