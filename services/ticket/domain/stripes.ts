/**
 * General-admission capacity split over N counter rows ("stripes") so concurrent buyers of one hot
 * section decrement different rows instead of queueing on one. Pure: how capacity is split, which
 * stripe a buyer tries first, and how a quantity is taken across stripes when no single stripe has
 * enough. A hold records how much it took from each stripe and returns exactly that to the same
 * stripes, so every stripe keeps available + outstanding = its capacity (and the section the sum).
 */

/** How many stripes a section of `capacity` gets: `wanted`, but never more than the places. */
export function stripeCount(capacity: number, wanted: number): number {
  return Math.max(1, Math.min(Math.floor(wanted), capacity));
}

/** `capacity` split as evenly as possible over `n` stripes (the first ones get the remainder). */
export function splitCapacity(capacity: number, n: number): number[] {
  const base = Math.floor(capacity / n);
  const extra = capacity % n;
  return Array.from({ length: n }, (_, i) => base + (i < extra ? 1 : 0));
}

/** The stripes to try first, in order: a rotation starting at `hint` (random or hashed per buyer). */
export function tryOrder(n: number, hint: number, tries: number): number[] {
  const start = ((Math.floor(hint) % n) + n) % n;
  return Array.from({ length: Math.min(n, tries) }, (_, i) => (start + i) % n);
}

export interface StripeTake {
  readonly stripe: number;
  readonly quantity: number;
}

/**
 * Takes `quantity` from stripes with `available` places each (index = stripe): from one stripe if
 * any has enough (the fullest, leaving the others for more buyers); else from the fullest first, so
 * the fewest stripes are touched. Result sorted by stripe (the lock order). Undefined when the
 * stripes hold fewer than `quantity` in total.
 */
export function planTake(available: readonly number[], quantity: number): StripeTake[] | undefined {
  if (!Number.isInteger(quantity) || quantity < 1) throw new RangeError("quantity must be a positive integer");
  const order = available.map((a, stripe) => ({ stripe, a })).sort((x, y) => y.a - x.a || x.stripe - y.stripe);
  const out: StripeTake[] = [];
  let left = quantity;
  for (const { stripe, a } of order) {
    if (left === 0 || a <= 0) break;
    const q = Math.min(a, left);
    out.push({ stripe, quantity: q });
    left -= q;
  }
  if (left > 0) return undefined;
  return out.sort((x, y) => x.stripe - y.stripe);
}

/** Adds up takes per stripe (a hold may take from one stripe in two steps). */
export function mergeTakes(takes: readonly StripeTake[]): StripeTake[] {
  const by = new Map<number, number>();
  for (const t of takes) by.set(t.stripe, (by.get(t.stripe) ?? 0) + t.quantity);
  return [...by].map(([stripe, quantity]) => ({ stripe, quantity })).sort((x, y) => x.stripe - y.stripe);
}
