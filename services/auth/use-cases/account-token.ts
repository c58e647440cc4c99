import type { WriteScope } from "../../../platform/commands/index.js";
import { type AccountTokenRow, insertAccountToken, lockAccountToken, spendToken } from "../db/account-tokens.js";
import {
  type AccountTokenKind,
  accountTokenTtlMs,
  assertSpendable,
  newAccountToken,
} from "../domain/account-tokens.js";
import { hashToken } from "../domain/refresh-token.js";

/** What the use-cases sending or spending emailed tokens share. */

/** A new single-use token of `kind` for a user, stored hashed in the scope's transaction; the clear token for the email. */
export async function issueAccountToken(
  w: WriteScope,
  userId: string,
  kind: AccountTokenKind,
): Promise<{ token: string; expireMs: number }> {
  const token = newAccountToken();
  const expireMs = w.now + accountTokenTtlMs[kind];
  await insertAccountToken(w.tx, {
    tokenHash: hashToken(token),
    kind,
    userId,
    createTime: new Date(w.now),
    expireTime: new Date(expireMs),
  });
  return { token, expireMs };
}

/**
 * Spends a token of `kind` in the scope's transaction (its row locked, so two uses race to one):
 * the row, now used; FAILED_PRECONDITION when it is unknown, used, expired or of another kind. The
 * spend rolls back with the rest of the change, so a failed reset leaves the token usable.
 */
export async function spendAccountToken(
  w: WriteScope,
  token: string,
  kind: AccountTokenKind,
): Promise<AccountTokenRow> {
  const row = await lockAccountToken(w.tx, hashToken(token));
  assertSpendable(
    row === undefined
      ? undefined
      : { kind: row.kind, expireMs: row.expireTime.getTime(), useMs: row.useTime?.getTime() ?? null },
    kind,
    w.now,
  );
  await spendToken(w.tx, row!.tokenHash, new Date(w.now));
  return row!;
}
