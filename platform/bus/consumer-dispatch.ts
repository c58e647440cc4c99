import { cancellableDelay } from "./consumer-nats.js";

/**
 * Runs up to `concurrency` tasks at once; tasks with the same key run one after another in the
 * order they were submitted (one aggregate's events keep their stream order), different keys in
 * parallel. A task waiting for its key's predecessor holds its slot, so the bound stays exact.
 */
export class KeyedDispatcher<T> {
  readonly #concurrency: number;
  readonly #running = new Map<Promise<void>, T>();
  readonly #tails = new Map<string, Promise<void>>();
  #waiters: Array<() => void> = [];
  #closed = false;

  constructor(concurrency: number) {
    this.#concurrency = Math.max(1, concurrency);
  }

  /** Waits for a free slot; false once closed (the caller hands its item back instead). */
  async slot(): Promise<boolean> {
    while (!this.#closed && this.#running.size >= this.#concurrency)
      await new Promise<void>((r) => this.#waiters.push(r));
    return !this.#closed;
  }

  /** Starts `fn` after the previous task of `key` (none: at once). Call after slot() said true. */
  run(key: string | undefined, item: T, fn: () => Promise<void>): void {
    const prev = key === undefined ? undefined : this.#tails.get(key);
    const task: Promise<void> = (async () => {
      if (prev !== undefined) await prev.catch(() => {});
      await fn();
    })().finally(() => {
      this.#running.delete(task);
      if (key !== undefined && this.#tails.get(key) === task) this.#tails.delete(key);
      this.#waiters.shift()?.();
    });
    // fn handles its own errors; this keeps a stray rejection from going unhandled
    task.catch(() => {});
    this.#running.set(task, item);
    if (key !== undefined) this.#tails.set(key, task);
  }

  /** No more slots: waiters get false. */
  close(): void {
    this.#closed = true;
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Waits up to `timeoutMs` for the running tasks; returns the items of those still running. */
  async drain(timeoutMs: number): Promise<T[]> {
    const grace = cancellableDelay(timeoutMs);
    await Promise.race([Promise.allSettled(this.#running.keys()), grace.promise]);
    grace.cancel();
    return [...this.#running.values()];
  }
}
