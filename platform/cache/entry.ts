import type { CacheCodec } from "./options.js";

/** One cached answer: a value, or the fact that the id does not exist. */
export interface Entry<T> {
  readonly present: boolean;
  readonly value: T | undefined;
  /** Cache-clock ms after which a hit triggers a background reload; Infinity for markers. */
  readonly refreshAt: number;
}

const ABSENT = 0;
const PRESENT = 1;
const HEADER = 9; // tag byte + float64 refreshAt

/**
 * The Redis value: `[tag][refreshAt as float64 BE][codec bytes]`. The refresh point travels with
 * the value (instead of asking Redis for PTTL) so every instance agrees on it, it costs no extra
 * round trip, and tests can drive it with a ManualClock.
 */
export function encodeEntry<T>(codec: CacheCodec<T>, e: Entry<T>): Buffer {
  const body = e.present ? codec.encode(e.value as T) : Buffer.alloc(0);
  const bytes = typeof body === "string" ? Buffer.from(body) : body;
  const out = Buffer.allocUnsafe(HEADER + bytes.length);
  out.writeUInt8(e.present ? PRESENT : ABSENT, 0);
  out.writeDoubleBE(e.present ? e.refreshAt : Number.POSITIVE_INFINITY, 1);
  bytes.copy(out, HEADER);
  return out;
}

/** Inverse of {@link encodeEntry}; throws on bytes it did not write (the caller treats that as a miss). */
export function decodeEntry<T>(codec: CacheCodec<T>, b: Buffer): Entry<T> {
  if (b.length < HEADER) throw new Error(`cache entry too short (${b.length} bytes)`);
  const tag = b.readUInt8(0);
  const refreshAt = b.readDoubleBE(1);
  if (tag === ABSENT) return { present: false, value: undefined, refreshAt: Number.POSITIVE_INFINITY };
  if (tag !== PRESENT) throw new Error(`cache entry has unknown tag ${tag}`);
  return { present: true, value: codec.decode(b.subarray(HEADER)), refreshAt };
}

/** An entry in the process, with the fill token its background refresh must present to Redis. */
export interface LocalEntry<T> extends Entry<T> {
  readonly expiresAt: number;
  readonly token: string | undefined;
  /** What the entry is counted as against the tier's byte bound. */
  readonly bytes: number;
}

/**
 * The in-process tier: a Map bounded in entries and in bytes, evicting the oldest insertion first
 * (an entry larger than the whole bound is not kept). Plain FIFO (no LRU
 * re-insert on every hit) is enough because entries live about a second anyway and hits stay
 * a single Map lookup.
 */
export class LocalTier<T> {
  readonly #entries = new Map<string, LocalEntry<T>>();
  #bytes = 0;

  constructor(
    readonly maxEntries: number,
    readonly maxBytes = Number.POSITIVE_INFINITY,
  ) {}

  /** The live entry of `id` at `now`; an expired one is removed. */
  get(id: string, now: number): LocalEntry<T> | undefined {
    const e = this.#entries.get(id);
    if (e === undefined) return undefined;
    if (now < e.expiresAt) return e;
    this.delete(id);
    return undefined;
  }

  set(id: string, e: LocalEntry<T>): void {
    this.delete(id);
    if (e.bytes > this.maxBytes) return;
    while (this.#entries.size >= this.maxEntries || this.#bytes + e.bytes > this.maxBytes) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.delete(oldest.value);
    }
    this.#entries.set(id, e);
    this.#bytes += e.bytes;
  }

  delete(id: string): void {
    const e = this.#entries.get(id);
    if (e === undefined) return;
    this.#entries.delete(id);
    this.#bytes -= e.bytes;
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }

  /** The bytes the entries are counted as. */
  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#entries.size;
  }
}
