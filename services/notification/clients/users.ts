/**
 * Who a user is to an email: auth's AuthInternalService.GetUser, called with this service's
 * identity through ctx.client (timeout, retries on UNAVAILABLE, breaker), and kept briefly. The
 * sender asks at a notification's first attempt, so auth is called outside any transaction and an
 * auth outage delays emails without stopping consumption.
 */
import { type Client, Code, ConnectError } from "@connectrpc/connect";
import type { AuthInternalService } from "../../../gen/boxoffice/auth/v1/auth_internal_service_pb.js";
import type { Clock } from "../../../platform/clock/index.js";

export interface Recipient {
  address: string;
  name: string;
}

export interface UserDirectory {
  /** The user's address and name; null when auth says the user does not exist (a permanent failure). */
  recipient(userId: string): Promise<Recipient | null>;
}

/**
 * A directory over GetUser with a small cache: answers (found or not) are reused for `ttlMs`, at
 * most `maxEntries` of them, and concurrent asks for one user share one call. Errors are not
 * cached: the sender retries them as temporary failures.
 */
export function userDirectory(
  auth: Client<typeof AuthInternalService>,
  o: { clock: Clock; ttlMs: number; maxEntries?: number },
): UserDirectory {
  const max = o.maxEntries ?? 10_000;
  const cache = new Map<string, { until: number; answer: Promise<Recipient | null> }>();
  const lookup = async (userId: string): Promise<Recipient | null> => {
    try {
      const { user } = await auth.getUser({ userId });
      return user ? { address: user.email, name: user.displayName } : null;
    } catch (e) {
      if (ConnectError.from(e).code === Code.NotFound) return null;
      throw e;
    }
  };
  return {
    recipient(userId) {
      const now = o.clock.now();
      const hit = cache.get(userId);
      if (hit !== undefined && hit.until > now) return hit.answer;
      if (cache.size >= max) {
        // Maps iterate in insertion order: the first entries are the oldest
        for (const key of [...cache.keys()].slice(0, Math.ceil(max / 10))) cache.delete(key);
      }
      const answer = lookup(userId);
      cache.set(userId, { until: now + o.ttlMs, answer });
      answer.catch(() => {
        if (cache.get(userId)?.answer === answer) cache.delete(userId);
      });
      return answer;
    },
  };
}
