/**
 * Seeded randomness, so a bench or chaos run can be replayed: mulberry32 (a tiny, well-mixed 32-bit
 * PRNG) and helpers for weighted choices.
 */

/** A PRNG returning floats in [0, 1), fully determined by `seed`. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A new seed for a run: random unless given (CHAOS_SEED, ONSALE_SEED). */
export function seedFrom(value: string | undefined): number {
  if (value !== undefined && value.trim() !== "") {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0 || n >= 2 ** 32)
      throw new Error(`seed must be a whole number below 2^32, got ${value}`);
    return n;
  }
  return Math.floor(Math.random() * 2 ** 31);
}

/** Picks a key of `weights` with probability proportional to its weight. */
export function weighted<K extends string>(random: () => number, weights: Readonly<Record<K, number>>): K {
  const entries = Object.entries(weights) as Array<[K, number]>;
  const total = entries.reduce((s, [, w]) => s + w, 0);
  let x = random() * total;
  for (const [k, w] of entries) {
    x -= w;
    if (x < 0) return k;
  }
  return entries[entries.length - 1]![0];
}

/** A whole number in [lo, hi]. */
export function between(random: () => number, lo: number, hi: number): number {
  return lo + Math.floor(random() * (hi - lo + 1));
}
