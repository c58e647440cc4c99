import { createHash } from "node:crypto";
import type { Logger } from "pino";
import type { Clock } from "../../platform/clock/index.js";
import { ResourceExhaustedError } from "../../platform/errors/index.js";
import type { Redis } from "../../platform/redis/index.js";

/**
 * One sliding window in one round trip: drop attempts older than the window, refuse when the
 * window is full (answering when its oldest attempt expires), else record this attempt.
 * A script so concurrent attempts cannot all slip under the limit between read and write.
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
  throttleWindow(key: string, now: number, windowMs: number, limit: number, member: string): Promise<number>;
};

/** A limit of `max` attempts per `windowMs`, per email (canonical) and per client address. */
export interface ThrottleLimits {
  perEmail: number;
  perAddress: number;
  windowMs: number;
}

/** What is throttled, each with its own buckets and its RESOURCE_EXHAUSTED reason. */
export type ThrottledAction = "login" | "register" | "account-email" | "token-use";

const reasons: Record<ThrottledAction, [string, string]> = {
  login: ["LOGIN_THROTTLED", "too many login attempts; try again later"],
  register: ["REGISTER_THROTTLED", "too many registrations; try again later"],
  "account-email": ["ACCOUNT_EMAIL_THROTTLED", "too many account emails asked for; try again later"],
  "token-use": ["TOKEN_USE_THROTTLED", "too many attempts with emailed tokens; try again later"],
};

/**
 * Throttling in Redis over sliding windows, per email (or account) and per client address. Every
 * attempt counts (a correct password does not reset it: that would let an attacker interleave).
 * Redis is an aid here, not a gate: when it is unreachable the throttle lets the attempt through
 * and the checks behind it still run.
 */
export class Throttle {
  readonly #redis: ThrottleRedis;
  #seq = 0;

  constructor(
    redis: Redis,
    private readonly clock: Clock,
    private readonly limits: Readonly<Record<ThrottledAction, ThrottleLimits>>,
    private readonly logger: Logger,
  ) {
    redis.defineCommand("throttleWindow", { numberOfKeys: 1, lua: slidingWindow });
    this.#redis = redis as ThrottleRedis;
  }

  /**
   * Records one `action` attempt for `subject` (a canonical email or an account id; hashed into
   * the key) and the client `address`; throws RESOURCE_EXHAUSTED with RetryInfo past either limit.
   */
  async attempt(action: ThrottledAction, subject: string | undefined, address: string | undefined): Promise<void> {
    const limits = this.limits[action];
    const checks: Array<[string, number]> = [];
    if (subject !== undefined)
      checks.push([
        `auth:${action}:subject:${createHash("sha256").update(subject).digest("hex").slice(0, 32)}`,
        limits.perEmail,
      ]);
    if (address !== undefined) checks.push([`auth:${action}:addr:${address}`, limits.perAddress]);
    for (const [key, limit] of checks) {
      let waitMs: number;
      try {
        const now = this.clock.now();
        waitMs = await this.#redis.throttleWindow(
          key,
          now,
          limits.windowMs,
          limit,
          `${now}-${process.pid}-${this.#seq++}`,
        );
      } catch (err) {
        this.logger.warn(
          { err: { message: (err as Error).message }, action },
          "throttle unavailable: allowing the attempt",
        );
        return;
      }
      if (waitMs >= 0) {
        const [reason, message] = reasons[action];
        throw new ResourceExhaustedError(reason, message, Math.max(1000, Math.ceil(waitMs)));
      }
    }
  }
}
