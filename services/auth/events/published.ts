import { timestampFromDate, timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  EmailVerificationRequestedSchema,
  PasswordResetRequestedSchema,
  UserRegisteredSchema,
} from "../../../gen/boxoffice/auth/v1/events_pb.js";
import { eventType } from "../../../platform/bus/events.js";
import type { OutboxEvent } from "../../../platform/commands/index.js";

/** The integration events auth publishes (declared in its ServiceModule). */
export const UserRegistered = eventType(UserRegisteredSchema, "auth");
export const PasswordResetRequested = eventType(PasswordResetRequestedSchema, "auth");
export const EmailVerificationRequested = eventType(EmailVerificationRequestedSchema, "auth");
export const authPublishes = [UserRegistered, PasswordResetRequested, EmailVerificationRequested];

/** An account as its events name it; `revision` is the aggregate version. */
interface Account {
  id: string;
  email: string;
  displayName: string;
  revision: number;
}

/** An emailed single-use token, in clear: the event is how it reaches the email (docs/auth.md). */
interface Emailed {
  token: string;
  expireMs: number;
}

const aggregate = (u: Account) => ({ type: "user", id: u.id, version: u.revision });

/** A new account, with the token of its welcome email's verification link. */
export function userRegistered(u: Account, verification: Emailed, at: Date): OutboxEvent {
  return {
    type: UserRegistered,
    payload: {
      userId: u.id,
      email: u.email,
      displayName: u.displayName,
      registerTime: timestampFromDate(at),
      verificationToken: verification.token,
      verificationExpireTime: timestampFromMs(verification.expireMs),
    },
    aggregate: aggregate(u),
  };
}

export function passwordResetRequested(u: Account, reset: Emailed, at: Date): OutboxEvent {
  return {
    type: PasswordResetRequested,
    payload: {
      userId: u.id,
      email: u.email,
      displayName: u.displayName,
      resetToken: reset.token,
      expireTime: timestampFromMs(reset.expireMs),
      requestTime: timestampFromDate(at),
    },
    aggregate: aggregate(u),
  };
}

export function emailVerificationRequested(u: Account, verification: Emailed): OutboxEvent {
  return {
    type: EmailVerificationRequested,
    payload: {
      userId: u.id,
      email: u.email,
      displayName: u.displayName,
      verificationToken: verification.token,
      expireTime: timestampFromMs(verification.expireMs),
    },
    aggregate: aggregate(u),
  };
}
