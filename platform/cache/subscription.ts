import type { Logger } from "../log/index.js";
import type { Redis } from "../redis/index.js";

// biome-ignore lint/suspicious/noExplicitAny: ioredis types its event listeners with any[]
type Listener = (...args: any[]) => void;

/**
 * The invalidation subscription of one cache and whether it can be trusted.
 *
 * Healthy means: the subscriber connection is up AND Redis confirmed our SUBSCRIBE on that very
 * connection. Anything that may lose messages (close, reconnecting, end) makes it unhealthy at
 * once; it turns healthy again only after a fresh SUBSCRIBE reply, because messages published
 * while we were away are gone for good (Redis pub/sub keeps nothing). `epoch` changes on every
 * transition, so a fill that started under one state cannot write the local tier under another.
 *
 * We subscribe on 'ready' ourselves even though ioredis resubscribes by itself: its resubscribe
 * result is not observable, and SUBSCRIBE to a channel already subscribed is a no-op.
 */
export class InvalidationSubscription {
  #healthy = false;
  #epoch = 0;
  #stopped = true;
  #retry: NodeJS.Timeout | undefined;
  readonly #listeners: Array<[string, Listener]> = [];

  constructor(
    private readonly sub: Redis,
    private readonly channel: string,
    private readonly onMessage: (message: string) => void,
    private readonly onChange: (healthy: boolean) => void,
    private readonly logger: Logger,
  ) {}

  get healthy(): boolean {
    return this.#healthy;
  }

  get epoch(): number {
    return this.#epoch;
  }

  /** Attaches the listeners and subscribes if the connection is up; never waits for Redis to come. */
  async start(): Promise<void> {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#on("message", (channel: string, message: string) => {
      if (channel === this.channel) this.onMessage(message);
    });
    this.#on("ready", () => void this.#subscribe());
    // 'close' is the first sign of a lost connection; 'reconnecting'/'end' follow or come alone
    for (const ev of ["close", "reconnecting", "end"]) this.#on(ev, () => this.#down(ev));
    if (this.sub.status === "ready") await this.#subscribe();
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#retry);
    for (const [ev, fn] of this.#listeners.splice(0)) this.sub.off(ev, fn);
    this.#set(false);
    if (this.sub.status === "ready") await this.sub.unsubscribe(this.channel).catch(() => undefined);
  }

  #on(ev: string, fn: Listener): void {
    this.sub.on(ev, fn);
    this.#listeners.push([ev, fn]);
  }

  async #subscribe(): Promise<void> {
    clearTimeout(this.#retry);
    const epoch = this.#epoch;
    try {
      await this.sub.subscribe(this.channel);
      // only if nothing happened to the connection while the reply was on its way
      if (!this.#stopped && epoch === this.#epoch && this.sub.status === "ready") {
        this.#set(true);
        this.logger.debug({ channel: this.channel }, "cache invalidation subscription up");
      }
    } catch (err) {
      if (this.#stopped) return;
      this.logger.warn({ err, channel: this.channel }, "cache invalidation subscribe failed; retrying");
      // a failed SUBSCRIBE on a connection that stays up would otherwise never be retried
      this.#retry = setTimeout(() => {
        if (!this.#stopped && this.sub.status === "ready") void this.#subscribe();
      }, 500).unref();
    }
  }

  #down(reason: string): void {
    if (this.#healthy)
      this.logger.warn({ channel: this.channel, reason }, "cache invalidation subscription down; local tier bypassed");
    this.#set(false);
  }

  #set(healthy: boolean): void {
    const changed = healthy !== this.#healthy;
    this.#epoch++; // also on down→down: a SUBSCRIBE reply from before must not count
    this.#healthy = healthy;
    if (changed) this.onChange(healthy);
  }
}

/** The invalidation message: schema version, id, and the sending instance (which ignores its own). */
export function encodeInvalidation(version: string, id: string, origin: string): string {
  return JSON.stringify([version, id, origin]);
}

/** Inverse of {@link encodeInvalidation}; undefined for anything else on the channel. */
export function decodeInvalidation(message: string): { version: string; id: string; origin: string } | undefined {
  try {
    const [version, id, origin] = JSON.parse(message) as unknown[];
    if (typeof version === "string" && typeof id === "string" && typeof origin === "string")
      return { version, id, origin };
  } catch {
    // not ours
  }
  return undefined;
}
