/**
 * The one source of time for the platform and the services. Inject a {@link Clock} wherever time is
 * read so expiry, windows and retention can be tested without sleeping.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** The current time as a Date. */
  date(): Date;
}

/** The wall clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  date: () => new Date(),
};

/** A clock that only moves when told to; for tests. */
export class ManualClock implements Clock {
  #ms: number;
  constructor(start: number | Date = Date.UTC(2030, 0, 1)) {
    this.#ms = typeof start === "number" ? start : start.getTime();
  }
  now(): number {
    return this.#ms;
  }
  date(): Date {
    return new Date(this.#ms);
  }
  /** Moves the clock forward by `ms` milliseconds. */
  advance(ms: number): void {
    this.#ms += ms;
  }
  /** Sets the clock to an absolute time. */
  set(at: number | Date): void {
    this.#ms = typeof at === "number" ? at : at.getTime();
  }
}

/**
 * The one sleep: resolves after `ms` of wall-clock time, or rejects with `signal`'s reason as soon
 * as it is aborted (a deadline, a cancel, a shutdown). For waits on the outside world — retries,
 * polls, servers starting — never for domain time, which comes from a {@link Clock}.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const reason = () => (signal?.reason instanceof Error ? signal.reason : new Error("aborted"));
    if (signal?.aborted) return reject(reason());
    const onAbort = () => {
      clearTimeout(timer);
      reject(reason());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
