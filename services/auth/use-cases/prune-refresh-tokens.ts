import type { Principal } from "../../../platform/principal/index.js";
import { deleteExpiredRefreshTokens } from "../db/repository.js";
import type { AuthDeps } from "../deps.js";
import { expiredTokenRetentionMs } from "../domain/refresh-rotation.js";

/**
 * The refresh-token sweeper (a periodic job in index.ts, one replica at a time): deletes tokens
 * that expired more than a day ago, in batches, until none is left or `signal` aborts. Live
 * tokens and their families are never touched. Returns how many it deleted.
 */
export async function pruneRefreshTokens(
  d: AuthDeps,
  principal: Principal | undefined,
  opts: { batch?: number; signal?: AbortSignal } = {},
): Promise<number> {
  const before = new Date(d.clock.now() - expiredTokenRetentionMs);
  let total = 0;
  for (;;) {
    if (opts.signal?.aborted) return total;
    const n = await d.commands.transaction(principal, (w) =>
      deleteExpiredRefreshTokens(w.tx, before, opts.batch ?? 1000),
    );
    total += n;
    if (n === 0) return total;
  }
}
