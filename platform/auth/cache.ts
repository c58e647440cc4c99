import type { Principal } from "../rpc/access.js";

/**
 * Verified tokens, least recently used first. A Map iterates in insertion order, so re-inserting
 * on every hit makes its first key the least recently used one: an LRU without a linked list.
 *
 * An entry is good until the token's `exp` exactly: the clock tolerance jose applies on a full
 * verification is deliberately not extended to cached answers.
 */
export class TokenCache {
  readonly #entries = new Map<string, { readonly principal: Principal; readonly expMs: number }>();

  /** @param capacity the most entries ever held; 0 disables caching. */
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new TypeError("cacheSize must be a non-negative integer");
  }

  /** The principal of a token verified before and not expired at `nowMs`; evicts it once expired. */
  get(token: string, nowMs: number): Principal | undefined {
    const entry = this.#entries.get(token);
    if (entry === undefined) return undefined;
    this.#entries.delete(token);
    if (nowMs >= entry.expMs) return undefined;
    this.#entries.set(token, entry);
    return entry.principal;
  }

  /** Remembers a verified token until `expMs`, evicting the least recently used entry when full. */
  set(token: string, principal: Principal, expMs: number): void {
    if (this.capacity === 0) return;
    this.#entries.delete(token);
    while (this.#entries.size >= this.capacity) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
    this.#entries.set(token, { principal, expMs });
  }

  get size(): number {
    return this.#entries.size;
  }
}
