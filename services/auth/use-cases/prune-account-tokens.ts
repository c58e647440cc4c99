import type { Principal } from "../../../platform/principal/index.js";
import { deleteExpiredAccountTokens } from "../db/account-tokens.js";
import type { AuthDeps } from "../deps.js";
import { accountTokenRetentionMs } from "../domain/account-tokens.js";

/**
 * Deletes emailed tokens (reset, verification) that expired more than a day ago, in batches,
 * until none is left or `signal` aborts (with the refresh-token sweep, one replica hourly).
 */
export async function pruneAccountTokens(
  d: AuthDeps,
  principal: Principal | undefined,
  opts: { batch?: number; signal?: AbortSignal } = {},
): Promise<number> {
  const before = new Date(d.clock.now() - accountTokenRetentionMs);
  let total = 0;
  for (;;) {
    if (opts.signal?.aborted) return total;
    const n = await d.commands.transaction(principal, (w) =>
      deleteExpiredAccountTokens(w.tx, before, opts.batch ?? 1000),
    );
    total += n;
    if (n === 0) return total;
  }
}
