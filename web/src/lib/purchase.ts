/**
 * A purchase in progress survives a reload: the contract has no GetHold, so the hold the server
 * answered is kept (as its proto JSON) in localStorage under the buyer's id, with the request id of
 * its checkout. A reload during checkout then repeats Checkout with the same request id, and the
 * server's idempotency store (AIP-155) answers with the order it already made instead of a second one.
 */
import { fromJson, type JsonValue, toJson } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { type Hold, HoldSchema } from "../gen/boxoffice/ticket/v1/hold_pb.js";

const KEY = "boxoffice.purchases";

interface Saved {
  userId: string;
  hold: JsonValue;
  /** Set when checkout was sent: repeats reuse it. */
  checkoutRequestId?: string;
  /** Set once Checkout answered with an order. */
  orderId?: string;
}

function all(): Record<string, Saved> {
  try {
    return JSON.parse(localStorage.getItem(KEY) ?? "{}") as Record<string, Saved>;
  } catch {
    return {};
  }
}

function write(v: Record<string, Saved>): void {
  localStorage.setItem(KEY, JSON.stringify(v));
}

export interface Purchase {
  readonly hold: Hold;
  readonly checkoutRequestId: string | undefined;
  readonly orderId: string | undefined;
}

const read = (s: Saved): Purchase => ({
  hold: fromJson(HoldSchema, s.hold),
  checkoutRequestId: s.checkoutRequestId,
  orderId: s.orderId,
});

/** Remembers a new hold (and forgets the user's other holds for that event: the server released them). */
export function saveHold(userId: string, hold: Hold): void {
  const v = all();
  for (const [id, s] of Object.entries(v)) {
    if (s.userId === userId && read(s).hold.eventId === hold.eventId) delete v[id];
  }
  v[hold.id] = { userId, hold: toJson(HoldSchema, hold) };
  write(v);
}

export function loadPurchase(userId: string, holdId: string): Purchase | undefined {
  const s = all()[holdId];
  return s && s.userId === userId ? read(s) : undefined;
}

/** The user's unexpired hold for an event that has not become an order, if any. */
export function activeHoldFor(userId: string, eventId: string): Hold | undefined {
  for (const s of Object.values(all())) {
    if (s.userId !== userId || s.orderId) continue;
    const p = read(s);
    if (p.hold.eventId === eventId && !holdExpired(p.hold)) return p.hold;
  }
  return undefined;
}

export function noteCheckout(holdId: string, change: { checkoutRequestId?: string; orderId?: string }): void {
  const v = all();
  const s = v[holdId];
  if (!s) return;
  v[holdId] = { ...s, ...change };
  write(v);
}

export function forgetHold(holdId: string): void {
  const v = all();
  delete v[holdId];
  write(v);
}

/** Forgets everything (sign-out on a shared computer). */
export function forgetAll(): void {
  localStorage.removeItem(KEY);
}

export function holdExpireMs(hold: Hold): number {
  return hold.expireTime ? timestampDate(hold.expireTime).getTime() : 0;
}

export function holdExpired(hold: Hold, now = Date.now()): boolean {
  return holdExpireMs(hold) <= now;
}
