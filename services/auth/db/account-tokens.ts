import { and, eq, isNull, lt } from "drizzle-orm";
import type { MySql2Database } from "drizzle-orm/mysql2";
import type { Tx } from "../../../platform/db/index.js";
import { accountTokens } from "./schema.js";

/** Queries of the emailed single-use tokens (password reset, email verification); rows only. */

export type AccountTokenRow = typeof accountTokens.$inferSelect;

export async function insertAccountToken(tx: Tx, row: typeof accountTokens.$inferInsert): Promise<void> {
  await tx.insert(accountTokens).values(row);
}

/** The token by hash, locked for the rest of the transaction (two resets with one token: one wins). */
export async function lockAccountToken(tx: Tx, hash: Buffer): Promise<AccountTokenRow | undefined> {
  const [row] = await tx.select().from(accountTokens).where(eq(accountTokens.tokenHash, hash)).for("update");
  return row;
}

/** Marks one token spent. */
export async function spendToken(tx: Tx, hash: Buffer, at: Date): Promise<void> {
  await tx.update(accountTokens).set({ useTime: at }).where(eq(accountTokens.tokenHash, hash));
}

/** Marks every unspent token of `kind` of a user spent (a reset done, a newer verification sent). */
export async function spendUserTokens(tx: Tx, userId: string, kind: string, at: Date): Promise<void> {
  await tx
    .update(accountTokens)
    .set({ useTime: at })
    .where(and(eq(accountTokens.userId, userId), eq(accountTokens.kind, kind), isNull(accountTokens.useTime)));
}

/** Deletes up to `batch` tokens that expired before `before`; returns how many. */
export async function deleteExpiredAccountTokens(q: Tx | MySql2Database, before: Date, batch: number): Promise<number> {
  const [res] = await q.delete(accountTokens).where(lt(accountTokens.expireTime, before)).limit(batch);
  return res.affectedRows;
}
