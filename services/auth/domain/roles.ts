import { Role } from "../../../gen/boxoffice/auth/v1/auth_pb.js";

/** The roles, lowest privilege first: the order answers list them in. */
const order = ["CUSTOMER", "ORGANIZER", "ADMIN"];

/** A role's place in {@link order} (unknown roles last). */
export function roleOrder(role: string): number {
  const i = order.indexOf(role);
  return i < 0 ? order.length : i;
}

/** Role names as tokens and the database carry them, from the proto enum (UNSPECIFIED has none). */
export function roleName(role: Role): string | undefined {
  return role === Role.UNSPECIFIED ? undefined : Role[role];
}

/** The proto enum of a stored role name; undefined for a name the contract does not know. */
export function roleOf(name: string): Role | undefined {
  const role = Role[name as keyof typeof Role];
  return role === undefined || role === Role.UNSPECIFIED ? undefined : role;
}
