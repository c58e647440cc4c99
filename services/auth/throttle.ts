import { createHash } from "node:crypto";
import type { Logger } from "pino";
import type { Clock } from "../../platform/clock/index.js";
import { ResourceExhaustedError } from "../../platform/errors/index.js";
import type { Redis } from "../../platform/redis/index.js";

/**
 * One sliding window in one round trip: drop attempts older than the window, refuse when the
 * window is full (answering when its oldest attempt expires), else record this attempt.
 * A script so concurrent logins cannot all slip under the limit between read and write.
 */
const slidingWindow = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tonumber(oldest[2]) + tonumber(ARGV[2]) - tonumber(ARGV[1])
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return -1
`;

type ThrottleRedis = Redis & {
  loginWindow(key: string, now: number, windowMs: number, limit: number, member: string): Promise<number>;
};

export interface ThrottleLimits {
  perEmail: number;
  perAddress: number;
  windowMs: number;
}

/**
 * Login throttling in Redis, per email and per client address, over a sliding window. Every
 * attempt counts (a correct password does not reset it: that would let an attacker interleave).
 * Redis is an aid here, not a gate: when it is unreachable the throttle lets the attempt through
 * and the password check still runs.
 */
export class LoginThrottle {
  readonly #redis: ThrottleRedis;
  #seq = 0;

  constructor(
    redis: Redis,
    private readonly clock: Clock,
    private readonly limits: ThrottleLimits,
    private readonly logger: Logger,
  ) {
    redis.defineCommand("loginWindow", { numberOfKeys: 1, lua: slidingWindow });
    this.#redis = redis as ThrottleRedis;
  }

  /** Records a login attempt; throws RESOURCE_EXHAUSTED (with RetryInfo) past either limit. */
  async attempt(email: string, address: string | undefined): Promise<void> {
    const emailKey = `auth:login:email:${createHash("sha256").update(email).digest("hex").slice(0, 32)}`;
    const checks: Array<[string, number]> = [[emailKey, this.limits.perEmail]];
    if (address !== undefined) checks.push([`auth:login:addr:${address}`, this.limits.perAddress]);
    for (const [key, limit] of checks) {
      let waitMs: number;
      try {
        const now = this.clock.now();
        waitMs = await this.#redis.loginWindow(
          key,
          now,
          this.limits.windowMs,
          limit,
          `${now}-${process.pid}-${this.#seq++}`,
        );
      } catch (err) {
        this.logger.warn(
          { err: { message: (err as Error).message } },
          "login throttle unavailable: allowing the attempt",
        );
        return;
      }
      if (waitMs >= 0) {
        throw new ResourceExhaustedError(
          "LOGIN_THROTTLED",
          "too many login attempts; try again later",
          Math.max(1000, Math.ceil(waitMs)),
        );
      }
    }
  }
}
