import { BulkheadRejectedError, bulkhead } from "cockatiel";
import { ResourceExhaustedError } from "../../platform/errors/index.js";
import { hashPassword } from "./domain/credentials.js";

export interface HasherOptions {
  /** Hashes running at once: each holds a libuv thread (~19 MiB, 40-60 ms of CPU). */
  concurrency: number;
  /** Hashes waiting for a slot; past that RESOURCE_EXHAUSTED. */
  queue: number;
  /** The KDF (argon2id by default; tests pass a slower stand-in). */
  hash?: (password: string) => Promise<string>;
}

/**
 * New password hashes (Register, ResetPassword, the bootstrap admin) through a bounded queue.
 * argon2 runs on libuv's thread pool (4 threads by default), the pool Login's verifications, DNS
 * lookups and file reads share: a burst of registrations would otherwise queue there without limit
 * and every login would wait behind it. At most `concurrency` hashes run (default 2: half the
 * pool stays for logins), `queue` more wait, and the rest are refused at once with
 * RESOURCE_EXHAUSTED and RetryInfo (before any row is written).
 */
export class PasswordHasher {
  readonly #bulkhead;
  readonly #hash: (password: string) => Promise<string>;
  /** Hashes refused because the queue was full. */
  rejected = 0;

  constructor(private readonly opts: HasherOptions) {
    this.#bulkhead = bulkhead(opts.concurrency, opts.queue);
    this.#hash = opts.hash ?? hashPassword;
  }

  async hash(password: string): Promise<string> {
    try {
      return await this.#bulkhead.execute(() => this.#hash(password));
    } catch (e) {
      if (!(e instanceof BulkheadRejectedError)) throw e;
      this.rejected++;
      // Roughly when the queue ahead will have drained (~60 ms a hash), never under a second.
      const drainMs = Math.ceil((this.opts.queue / this.opts.concurrency + 1) * 60);
      throw new ResourceExhaustedError(
        "PASSWORD_HASHING_BUSY",
        "too many passwords are being hashed right now; try again shortly",
        Math.max(1000, drainMs),
      );
    }
  }
}
