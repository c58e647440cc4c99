import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type User, UserSchema } from "../../gen/boxoffice/auth/v1/auth_pb.js";
import type { UserRow } from "./db/repository.js";
import { roleOf } from "./domain/roles.js";

/** Rows → messages, in one place (the password hash never leaves the row). */
export function toUser(row: UserRow): User {
  return create(UserSchema, {
    id: row.id,
    email: row.email,
    displayName: row.displayName,
    roles: row.roles.map(roleOf).filter((r) => r !== undefined),
    createTime: timestampFromDate(row.createTime),
    emailVerified: row.emailVerifyTime !== null,
  });
}
