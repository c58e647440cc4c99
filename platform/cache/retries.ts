import { performance } from "node:perf_hooks";
import type { Logger } from "../log/index.js";

interface Pending {
  attempt: number;
  deadline: number;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Invalidations that could not reach Redis, retried with backoff until they succeed or until the
 * Redis entry must have expired anyway (`giveUpAfterMs` = the longest TTL a fill can set plus the
 * pending-token TTL). Why not fail the writer instead: its transaction has committed, Redis is only
 * a cache, and a Redis that went down without persistence comes back empty; what remains is a
 * partition of this one instance, which the retry closes. Meanwhile the cache skips Redis for the
 * pending ids on this instance (`has()`), so the writer still reads its own write.
 *
 * Timers run on the real clock: this is connection-level backoff, not domain time.
 */
export class InvalidationRetries {
  readonly #pending = new Map<string, Pending>();
  #stopped = false;

  constructor(
    private readonly run: (id: string) => Promise<void>,
    private readonly logger: Logger,
    private readonly giveUpAfterMs: number,
  ) {}

  has(id: string): boolean {
    return this.#pending.has(id);
  }

  get size(): number {
    return this.#pending.size;
  }

  /** Retries `id` until it succeeds; a later failure of the same id extends the deadline. */
  schedule(id: string): void {
    if (this.#stopped) return;
    const deadline = performance.now() + this.giveUpAfterMs;
    const p = this.#pending.get(id);
    if (p !== undefined) {
      p.deadline = deadline;
      return;
    }
    const fresh: Pending = { attempt: 0, deadline, timer: undefined };
    this.#pending.set(id, fresh);
    this.#arm(id, fresh);
  }

  /** A later invalidation of `id` went through: it covers this one. */
  cancel(id: string): void {
    const p = this.#pending.get(id);
    if (p === undefined) return;
    clearTimeout(p.timer);
    this.#pending.delete(id);
  }

  stop(): void {
    this.#stopped = true;
    for (const p of this.#pending.values()) clearTimeout(p.timer);
    this.#pending.clear();
  }

  #arm(id: string, p: Pending): void {
    const delay = Math.min(100 * 2 ** p.attempt, 2_000);
    p.timer = setTimeout(() => {
      p.timer = undefined;
      this.run(id).then(
        () => {
          if (this.#pending.get(id) !== p) return;
          this.#pending.delete(id);
          this.logger.info({ id, attempts: p.attempt + 1 }, "cache invalidation delivered on retry");
        },
        (err: unknown) => {
          if (this.#pending.get(id) !== p) return;
          if (performance.now() >= p.deadline) {
            this.#pending.delete(id);
            this.logger.error({ err, id }, "cache invalidation given up: the Redis entry has expired by now");
            return;
          }
          p.attempt++;
          this.#arm(id, p);
        },
      );
    }, delay);
    p.timer.unref();
  }
}
