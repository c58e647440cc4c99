/**
 * Order changes made in this process, for WatchOrder: a watcher wakes at once when a commit here
 * changed its order, and re-reads on a short timer for changes made by other replicas (a consumer
 * or a sweeper elsewhere settled it).
 */
export class OrderWatch {
  readonly #waiters = new Map<string, Set<() => void>>();

  /** After a commit that changed `orderId`. */
  changed(orderId: string): void {
    const set = this.#waiters.get(orderId);
    if (set === undefined) return;
    this.#waiters.delete(orderId);
    for (const wake of set) wake();
  }

  /** Resolves when `orderId` changes in this process, after `ms`, or when `signal` aborts. */
  wait(orderId: string, ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      let set = this.#waiters.get(orderId);
      if (set === undefined) {
        set = new Set();
        this.#waiters.set(orderId, set);
      }
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        const s = this.#waiters.get(orderId);
        s?.delete(done);
        if (s?.size === 0) this.#waiters.delete(orderId);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
      set.add(done);
    });
  }

  /** Watchers waiting now (for tests and metrics). */
  get waiting(): number {
    let n = 0;
    for (const s of this.#waiters.values()) n += s.size;
    return n;
  }
}
