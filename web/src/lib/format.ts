/** Money and times as people read them. Money arrives in minor units (int64 → bigint) + ISO 4217. */
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { timestampDate } from "@bufbuild/protobuf/wkt";

/** A Money-shaped value (boxoffice.common.v1.Money). */
export interface MoneyLike {
  readonly currencyCode: string;
  readonly amountMinor: bigint;
}

const fractionDigits = (currency: string): number =>
  new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;

/** "€45.00" for { EUR, 4500 }. */
export function formatMoney(m: MoneyLike | undefined): string {
  if (m === undefined || m.currencyCode === "") return "";
  const digits = fractionDigits(m.currencyCode);
  const value = Number(m.amountMinor) / 10 ** digits;
  return new Intl.NumberFormat(undefined, { style: "currency", currency: m.currencyCode }).format(value);
}

/** Parses "45.00" in `currency` into minor units; undefined when it is not a price. */
export function parseMoney(text: string, currency: string): bigint | undefined {
  const t = text.trim().replace(",", ".");
  if (!/^\d+(\.\d+)?$/.test(t)) return undefined;
  const digits = fractionDigits(currency);
  const [whole = "0", frac = ""] = t.split(".");
  if (frac.length > digits) return undefined;
  return BigInt(whole) * 10n ** BigInt(digits) + BigInt((frac + "0".repeat(digits)).slice(0, digits) || "0");
}

/** Minor units back to "45.00" for an input field. */
export function moneyInput(amountMinor: bigint, currency: string): string {
  const digits = fractionDigits(currency);
  if (digits === 0) return amountMinor.toString();
  const s = amountMinor.toString().padStart(digits + 1, "0");
  return `${s.slice(0, -digits)}.${s.slice(-digits)}`;
}

const toDate = (t: Timestamp | Date | string): Date =>
  typeof t === "string" ? new Date(t) : t instanceof Date ? t : timestampDate(t);

/** "Fri, 12 Dec 2026, 20:00" in the venue's zone (the user's when unknown). */
export function formatDateTime(t: Timestamp | Date | string | undefined, timeZone?: string): string {
  if (t === undefined) return "";
  return new Intl.DateTimeFormat(undefined, {
    weekday: "short",
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZone: timeZone || undefined,
  }).format(toDate(t));
}

/** The value of an <input type="datetime-local"> for `t` in `timeZone` ("2026-12-12T20:00"). */
export function toLocalInput(t: Timestamp | Date | undefined, timeZone: string): string {
  if (t === undefined) return "";
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(toDate(t));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "00";
  return `${get("year")}-${get("month")}-${get("day")}T${get("hour")}:${get("minute")}`;
}

/**
 * The instant of a wall-clock time ("2026-12-12T20:00") in `timeZone`: guess it as UTC, then correct by
 * the zone's offset at that instant (twice, which settles across a DST change).
 */
export function fromLocalInput(value: string, timeZone: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi] = m.map(Number) as [number, number, number, number, number, number];
  const wall = Date.UTC(y, mo - 1, d, h, mi);
  let t = wall;
  for (let i = 0; i < 2; i++) t = wall - offsetMs(new Date(t), timeZone);
  return new Date(t);
}

function offsetMs(at: Date, timeZone: string): number {
  const local = toLocalInput(at, timeZone);
  const back = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(local);
  if (!back) return 0;
  const [, y, mo, d, h, mi] = back.map(Number) as [number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi) - Math.floor(at.getTime() / 60_000) * 60_000;
}
