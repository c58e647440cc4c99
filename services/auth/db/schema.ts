/**
 * The auth service's own tables (the platform tables come from platform/db/platform-schema.ts).
 * No relative imports: drizzle-kit loads this file with its own loader.
 */
import {
  bigint,
  customType,
  datetime,
  index,
  mysqlTable,
  primaryKey,
  uniqueIndex,
  varchar,
} from "drizzle-orm/mysql-core";

const sha256 = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => "binary(32)" });

/**
 * Text compared byte by byte (`utf8mb4_bin`): the canonical email is the whole equivalence, and
 * the default `utf8mb4_unicode_ci` would add its own (accent- and width-insensitive), letting
 * `bób@…` find `bob@…`'s account under another throttle bucket.
 */
const binaryText = customType<{ data: string; driverData: string; config: { length: number } }>({
  dataType: (c) => `varchar(${c?.length ?? 255}) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
});

/**
 * A person with an account. `email` is stored canonical (domain/email.ts: NFKC + case fold) and
 * unique under a binary collation. `revision` counts every change of the account: the aggregate
 * version of its integration events.
 */
export const users = mysqlTable(
  "users",
  {
    id: varchar("id", { length: 36 }).primaryKey(),
    email: binaryText("email", { length: 254 }).notNull(),
    displayName: varchar("display_name", { length: 100 }).notNull(),
    /** argon2id PHC string; never leaves this service, never logged. */
    passwordHash: varchar("password_hash", { length: 255 }).notNull(),
    /** When the address was confirmed (VerifyEmail); null until then. */
    emailVerifyTime: datetime("email_verify_time", { mode: "date", fsp: 3 }),
    revision: bigint("revision", { mode: "number" }).notNull().default(1),
    createTime: datetime("create_time", { mode: "date", fsp: 3 }).notNull(),
    updateTime: datetime("update_time", { mode: "date", fsp: 3 }).notNull(),
  },
  (t) => [uniqueIndex("users_email").on(t.email)],
);

/**
 * Single-use tokens sent by email: password resets (30 minutes) and email verifications (24 hours).
 * Only SHA-256 of the token is kept (a database read gives no usable token); `use_time` is set
 * when it is spent (or superseded), so it works once. Pruned a day after expiry.
 */
export const accountTokens = mysqlTable(
  "account_tokens",
  {
    tokenHash: sha256("token_hash").primaryKey(),
    /** "password_reset" or "email_verification". */
    kind: varchar("kind", { length: 32 }).notNull(),
    userId: varchar("user_id", { length: 36 }).notNull(),
    createTime: datetime("create_time", { mode: "date", fsp: 3 }).notNull(),
    expireTime: datetime("expire_time", { mode: "date", fsp: 3 }).notNull(),
    useTime: datetime("use_time", { mode: "date", fsp: 3 }),
  },
  (t) => [index("account_tokens_user").on(t.userId, t.kind), index("account_tokens_expire").on(t.expireTime)],
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
  (t) => [
    uniqueIndex("refresh_tokens_hash").on(t.tokenHash),
    index("refresh_tokens_family").on(t.familyId),
    // ResetPassword signs the user out everywhere.
    index("refresh_tokens_user").on(t.userId),
  ],
);
