import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { UserRegisteredSchema } from "../../../gen/boxoffice/auth/v1/events_pb.js";
import { eventType } from "../../../platform/bus/events.js";
import type { OutboxEvent } from "../../../platform/commands/index.js";

/** The integration events auth publishes (declared in its ServiceModule). */
export const UserRegistered = eventType(UserRegisteredSchema, "auth");
export const authPublishes = [UserRegistered];

/** A new account; the user is the aggregate, at version 1. */
export function userRegistered(u: { id: string; email: string; displayName: string }, at: Date): OutboxEvent {
  return {
    type: UserRegistered,
    payload: { userId: u.id, email: u.email, displayName: u.displayName, registerTime: timestampFromDate(at) },
    aggregate: { type: "user", id: u.id, version: 1 },
  };
}
