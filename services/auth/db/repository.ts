import { and, eq, isNull } from "drizzle-orm";
import type { MySql2Database } from "drizzle-orm/mysql2";
import type { Tx } from "../../platform/db/index.js";
import { refreshTokens, userRoles, users } from "./db/schema.js";

type Q = Tx | MySql2Database;

export type UserRow = typeof users.$inferSelect & { roles: string[] };
export type RefreshRow = typeof refreshTokens.$inferSelect;

/** Role order for answers: stable, lowest privilege first. */
const roleOrder = ["CUSTOMER", "ORGANIZER", "ADMIN"];

async function withRoles(q: Q, row: typeof users.$inferSelect | undefined): Promise<UserRow | undefined> {
  if (row === undefined) return undefined;
  const roles = await q.select({ role: userRoles.role }).from(userRoles).where(eq(userRoles.userId, row.id));
  return { ...row, roles: roles.map((r) => r.role).sort((a, b) => roleOrder.indexOf(a) - roleOrder.indexOf(b)) };
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
