import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { HandlerContext } from "@connectrpc/connect";
import { Role, type User, UserSchema } from "../../../gen/boxoffice/auth/v1/auth_pb.js";
import {
  type GrantRoleRequest,
  GrantRoleRequestSchema,
  GrantRoleResponseSchema,
  type RegisterRequest,
  RegisterRequestSchema,
  RegisterResponseSchema,
} from "../../../gen/boxoffice/auth/v1/auth_service_pb.js";
import { UserRegisteredSchema } from "../../../gen/boxoffice/auth/v1/events_pb.js";
import { eventType } from "../../../platform/bus/events.js";
import type { Outbox } from "../../../platform/bus/outbox.js";
import type { Clock } from "../../../platform/clock/index.js";
import { type IdempotencyStore, idempotencyKey } from "../../../platform/db/idempotency.js";
import { type Db, isDuplicateKey, withTransaction } from "../../../platform/db/index.js";
import type { IdGenerator } from "../../../platform/ids/index.js";
import { AlreadyExistsError, InvalidArgumentError, NotFoundError } from "../../../platform/rpc/errors.js";
import {
  displayNameViolations,
  emailViolations,
  hashPassword,
  normaliseEmail,
  passwordViolations,
} from "../domain/credentials.js";
import { addRole, findUserByEmail, findUserById, insertUser, type UserRow } from "../repository.js";

export const UserRegistered = eventType(UserRegisteredSchema, "auth");

/** Role names as tokens and the database carry them, from the proto enum. */
export function roleName(role: Role): string | undefined {
  return role === Role.UNSPECIFIED ? undefined : Role[role];
}

export function toUser(row: UserRow): User {
  return create(UserSchema, {
    id: row.id,
    email: row.email,
    displayName: row.displayName,
    roles: row.roles.map((r) => Role[r as keyof typeof Role]).filter((r) => r !== undefined),
    createTime: timestampFromDate(row.createTime),
  });
}

export interface AccountDeps {
  db: Db;
  clock: Clock;
  newId: IdGenerator;
  idempotency: IdempotencyStore;
  outbox: Outbox;
}

/** Register: a new CUSTOMER, UserRegistered in the same transaction; email unique (ALREADY_EXISTS). */
export async function register(d: AccountDeps, req: RegisterRequest, ctx: HandlerContext): Promise<User> {
  const key = idempotencyKey(ctx, req.requestId);
  const email = normaliseEmail(req.email);
  const violations = [
    ...emailViolations(email),
    ...displayNameViolations(req.displayName),
    ...passwordViolations(req.password, email),
  ];
  if (violations.length > 0) throw new InvalidArgumentError(violations);
  // Hash before the transaction: 40-60 ms of CPU must not hold row locks or a pool connection.
  const passwordHash = await hashPassword(req.password);
  try {
    const { response } = await d.idempotency.run(
      key,
      { schema: RegisterRequestSchema, message: req },
      RegisterResponseSchema,
      async (tx) => {
        const id = d.newId();
        const at = new Date(d.clock.now());
        await insertUser(tx, { id, email, displayName: req.displayName.trim(), passwordHash, at, roles: ["CUSTOMER"] });
        await d.outbox.add(tx, {
          type: UserRegistered,
          payload: { userId: id, email, displayName: req.displayName.trim(), registerTime: timestampFromDate(at) },
          aggregate: { type: "user", id, version: 1 },
        });
        const row = await findUserById(tx, id);
        return { user: toUser(row!) };
      },
    );
    d.outbox.notify();
    return response.user!;
  } catch (e) {
    if (isDuplicateKey(e))
      throw new AlreadyExistsError("EMAIL_TAKEN", "an account with this email already exists", { field: "email" });
    throw e;
  }
}

export async function getUser(d: Pick<AccountDeps, "db">, userId: string): Promise<User> {
  if (userId === "")
    throw new InvalidArgumentError([{ field: "user_id", description: "required", reason: "REQUIRED" }]);
  const row = await findUserById(d.db.orm, userId);
  if (row === undefined) throw new NotFoundError("user", userId);
  return toUser(row);
}

/** GrantRole (ADMIN only, checked by the access declaration); granting a held role changes nothing. */
export async function grantRole(d: AccountDeps, req: GrantRoleRequest, ctx: HandlerContext): Promise<User> {
  const key = idempotencyKey(ctx, req.requestId);
  const role = roleName(req.role);
  const violations = [];
  if (req.userId === "") violations.push({ field: "user_id", description: "required", reason: "REQUIRED" });
  if (role === undefined)
    violations.push({ field: "role", description: "required: CUSTOMER, ORGANIZER or ADMIN", reason: "REQUIRED" });
  if (violations.length > 0) throw new InvalidArgumentError(violations);
  const { response } = await d.idempotency.run(
    key,
    { schema: GrantRoleRequestSchema, message: req },
    GrantRoleResponseSchema,
    async (tx) => {
      const user = await findUserById(tx, req.userId);
      if (user === undefined) throw new NotFoundError("user", req.userId);
      await addRole(tx, req.userId, role!, new Date(d.clock.now()));
      return { user: toUser((await findUserById(tx, req.userId))!) };
    },
  );
  return response.user!;
}

/** Creates the configured admin at start-up when no account has its email (idempotent). */
export async function ensureAdmin(d: AccountDeps, email: string, password: string): Promise<"created" | "exists"> {
  const normal = normaliseEmail(email);
  const existing = await findUserByEmail(d.db.orm, normal);
  if (existing !== undefined) return "exists";
  const violations = [...emailViolations(normal), ...passwordViolations(password, normal)];
  if (violations.length > 0)
    throw new Error(`bootstrap admin: ${violations.map((v) => `${v.field} ${v.description}`).join("; ")}`);
  const passwordHash = await hashPassword(password);
  try {
    await withTransaction(d.db, async (tx) => {
      const id = d.newId();
      const at = new Date(d.clock.now());
      await insertUser(tx, {
        id,
        email: normal,
        displayName: "Administrator",
        passwordHash,
        at,
        roles: ["CUSTOMER", "ADMIN"],
      });
      await d.outbox.add(tx, {
        type: UserRegistered,
        payload: { userId: id, email: normal, displayName: "Administrator", registerTime: timestampFromDate(at) },
        aggregate: { type: "user", id, version: 1 },
      });
    });
  } catch (e) {
    if (isDuplicateKey(e)) return "exists"; // another instance created it at the same moment
    throw e;
  }
  d.outbox.notify();
  return "created";
}
