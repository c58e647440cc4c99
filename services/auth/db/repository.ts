import { and, eq, isNull, lt, sql } from "drizzle-orm";
import type { MySql2Database } from "drizzle-orm/mysql2";
import type { Tx } from "../../../platform/db/index.js";
import { roleOrder } from "../domain/roles.js";
import { refreshTokens, userRoles, users } from "./schema.js";

/**
 * The auth service's queries: they take a transaction or the pool and return rows (mappers.ts
 * turns them into messages).
 */

type Q = Tx | MySql2Database;

export type UserRow = typeof users.$inferSelect & { roles: string[] };
export type RefreshRow = typeof refreshTokens.$inferSelect;

async function withRoles(q: Q, row: typeof users.$inferSelect | undefined): Promise<UserRow | undefined> {
  if (row === undefined) return undefined;
  const roles = await q.select({ role: userRoles.role }).from(userRoles).where(eq(userRoles.userId, row.id));
  return { ...row, roles: roles.map((r) => r.role).sort((a, b) => roleOrder(a) - roleOrder(b)) };
}

export async function findUserByEmail(q: Q, email: string): Promise<UserRow | undefined> {
  const [row] = await q.select().from(users).where(eq(users.email, email));
  return withRoles(q, row);
}

export async function findUserById(q: Q, id: string): Promise<UserRow | undefined> {
  const [row] = await q.select().from(users).where(eq(users.id, id));
  return withRoles(q, row);
}

export async function insertUser(
  tx: Tx,
  u: { id: string; email: string; displayName: string; passwordHash: string; at: Date; roles: string[] },
): Promise<void> {
  await tx.insert(users).values({
    id: u.id,
    email: u.email,
    displayName: u.displayName,
    passwordHash: u.passwordHash,
    createTime: u.at,
    updateTime: u.at,
  });
  await tx.insert(userRoles).values(u.roles.map((role) => ({ userId: u.id, role, grantTime: u.at })));
}

export async function addRole(tx: Tx, userId: string, role: string, at: Date): Promise<void> {
  await tx.insert(userRoles).values({ userId, role, grantTime: at }).onDuplicateKeyUpdate({ set: { role } });
}

/** The user row, locked for the rest of the transaction. */
export async function lockUser(tx: Tx, id: string): Promise<UserRow | undefined> {
  const [row] = await tx.select().from(users).where(eq(users.id, id)).for("update");
  return withRoles(tx, row);
}

/**
 * One change of a user's account: `set` plus the next revision (the aggregate version of the
 * events the change emits). Call with the row locked; returns the new revision.
 */
export async function changeUser(
  tx: Tx,
  row: Pick<UserRow, "id" | "revision">,
  set: Partial<Pick<typeof users.$inferInsert, "passwordHash" | "emailVerifyTime">>,
  at: Date,
): Promise<number> {
  await tx
    .update(users)
    .set({ ...set, revision: sql`${users.revision} + 1`, updateTime: at })
    .where(eq(users.id, row.id));
  return row.revision + 1;
}

/** Signs a user out everywhere: every live refresh token of every family is revoked. */
export async function revokeUserSessions(tx: Tx, userId: string, at: Date): Promise<void> {
  await tx
    .update(refreshTokens)
    .set({ revokeTime: at })
    .where(and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokeTime)));
}

/** The refresh token row by hash, locked for the rest of the transaction. */
export async function lockRefreshToken(tx: Tx, hash: Buffer): Promise<RefreshRow | undefined> {
  const [row] = await tx.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, hash)).for("update");
  return row;
}

export async function insertRefreshToken(tx: Tx, row: typeof refreshTokens.$inferInsert): Promise<void> {
  await tx.insert(refreshTokens).values(row);
}

export async function markRotated(tx: Tx, id: string, successorId: string, at: Date): Promise<void> {
  await tx.update(refreshTokens).set({ rotateTime: at, replacedBy: successorId }).where(eq(refreshTokens.id, id));
}

export async function findRefreshById(tx: Tx, id: string): Promise<RefreshRow | undefined> {
  const [row] = await tx.select().from(refreshTokens).where(eq(refreshTokens.id, id));
  return row;
}

export async function revokeFamily(q: Q, familyId: string, at: Date): Promise<void> {
  await q
    .update(refreshTokens)
    .set({ revokeTime: at })
    .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokeTime)));
}

/** Deletes up to `batch` refresh tokens that expired before `before`; returns how many. */
export async function deleteExpiredRefreshTokens(q: Q, before: Date, batch: number): Promise<number> {
  const [res] = await q.delete(refreshTokens).where(lt(refreshTokens.expireTime, before)).limit(batch);
  return res.affectedRows;
}
