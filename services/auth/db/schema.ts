/**
 * The auth service's own tables (the platform tables come from platform/db/platform-schema.ts).
 * No relative imports: drizzle-kit loads this file with its own loader.
 */
import { customType, datetime, index, mysqlTable, primaryKey, uniqueIndex, varchar } from "drizzle-orm/mysql-core";

const sha256 = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => "binary(32)" });

/** A person with an account. `email` is stored normalised (trimmed, lower-case) and unique. */
export const users = mysqlTable(
  "users",
  {
    id: varchar("id", { length: 36 }).primaryKey(),
    email: varchar("email", { length: 254 }).notNull(),
    displayName: varchar("display_name", { length: 100 }).notNull(),
    /** argon2id PHC string; never leaves this service, never logged. */
    passwordHash: varchar("password_hash", { length: 255 }).notNull(),
    createTime: datetime("create_time", { mode: "date", fsp: 3 }).notNull(),
    updateTime: datetime("update_time", { mode: "date", fsp: 3 }).notNull(),
  },
  (t) => [uniqueIndex("users_email").on(t.email)],
);

/** Roles held by a user (CUSTOMER, ORGANIZER, ADMIN). */
export const userRoles = mysqlTable(
  "user_roles",
  {
    userId: varchar("user_id", { length: 36 }).notNull(),
    role: varchar("role", { length: 16 }).notNull(),
    grantTime: datetime("grant_time", { mode: "date", fsp: 3 }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.role] })],
);

/**
 * Refresh tokens, stored as SHA-256 of the opaque token. A login starts a family; every refresh
 * rotates: the used token gets `rotate_time` and `replaced_by`, its successor joins the family.
 * Using a rotated token again outside the grace window revokes the whole family.
 */
export const refreshTokens = mysqlTable(
  "refresh_tokens",
  {
    id: varchar("id", { length: 36 }).primaryKey(),
    familyId: varchar("family_id", { length: 36 }).notNull(),
    userId: varchar("user_id", { length: 36 }).notNull(),
    tokenHash: sha256("token_hash").notNull(),
    createTime: datetime("create_time", { mode: "date", fsp: 3 }).notNull(),
    expireTime: datetime("expire_time", { mode: "date", fsp: 3 }).notNull(),
    rotateTime: datetime("rotate_time", { mode: "date", fsp: 3 }),
    replacedBy: varchar("replaced_by", { length: 36 }),
    revokeTime: datetime("revoke_time", { mode: "date", fsp: 3 }),
  },
  (t) => [uniqueIndex("refresh_tokens_hash").on(t.tokenHash), index("refresh_tokens_family").on(t.familyId)],
);
