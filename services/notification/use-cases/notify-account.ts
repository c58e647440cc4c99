/**
 * Account emails, from auth's events: the welcome with its verification link (UserRegistered), a new
 * verification link (EmailVerificationRequested), a password-reset link (PasswordResetRequested).
 * The event names the address, so these need no lookup; the token travels only in the link.
 */
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type {
  EmailVerificationRequestedSchema,
  PasswordResetRequestedSchema,
  UserRegisteredSchema,
} from "../../../gen/boxoffice/auth/v1/events_pb.js";
import type { Principal } from "../../../platform/principal/index.js";
import type { NotificationDeps } from "../deps.js";
import { accountLink, dedupeKeys } from "../domain/causes.js";
import { isoOf } from "../mappers.js";
import { asService, type Fact, queue, suppress, type Within } from "./queue.js";

type Queued = { id: string; created: boolean } | undefined;

/** UserRegistered → WELCOME, with the verification link while it is valid; once per user. */
export function notifyWelcome(
  d: NotificationDeps,
  principal: Principal | undefined,
  fact: Fact<typeof UserRegisteredSchema>,
  { within }: Within,
): Promise<Queued> {
  asService(principal);
  const p = fact.payload;
  const usable =
    p.verificationToken !== "" &&
    p.verificationExpireTime !== undefined &&
    timestampMs(p.verificationExpireTime) > within.now;
  return queue(d, within, {
    userId: p.userId,
    content: {
      kind: "WELCOME",
      payload: {
        verification: usable
          ? {
              url: accountLink(d.settings.linkBaseUrl, "verify-email", p.verificationToken),
              expireTime: isoOf(p.verificationExpireTime),
            }
          : null,
      },
    },
    sourceEventId: fact.envelope.eventId,
    dedupeKey: dedupeKeys.welcome(p.userId),
    recipient: { address: p.email, name: p.displayName },
  });
}

/** EmailVerificationRequested → EMAIL_VERIFICATION; once per token, none once it has expired. */
export async function notifyEmailVerification(
  d: NotificationDeps,
  principal: Principal | undefined,
  fact: Fact<typeof EmailVerificationRequestedSchema>,
  { within }: Within,
): Promise<Queued> {
  asService(principal);
  const p = fact.payload;
  if (expired(p.expireTime, within.now)) {
    suppress(d, within, "EMAIL_VERIFICATION", "expired");
    return undefined;
  }
  return queue(d, within, {
    userId: p.userId,
    content: {
      kind: "EMAIL_VERIFICATION",
      payload: {
        verification: {
          url: accountLink(d.settings.linkBaseUrl, "verify-email", p.verificationToken),
          expireTime: isoOf(p.expireTime),
        },
      },
    },
    sourceEventId: fact.envelope.eventId,
    dedupeKey: dedupeKeys.emailVerification(p.verificationToken),
    recipient: { address: p.email, name: p.displayName },
  });
}

/** PasswordResetRequested → PASSWORD_RESET to the account's address; once per token, none once expired. */
export async function notifyPasswordReset(
  d: NotificationDeps,
  principal: Principal | undefined,
  fact: Fact<typeof PasswordResetRequestedSchema>,
  { within }: Within,
): Promise<Queued> {
  asService(principal);
  const p = fact.payload;
  if (expired(p.expireTime, within.now)) {
    suppress(d, within, "PASSWORD_RESET", "expired");
    return undefined;
  }
  return queue(d, within, {
    userId: p.userId,
    content: {
      kind: "PASSWORD_RESET",
      payload: {
        reset: {
          url: accountLink(d.settings.linkBaseUrl, "reset-password", p.resetToken),
          expireTime: isoOf(p.expireTime),
        },
      },
    },
    sourceEventId: fact.envelope.eventId,
    dedupeKey: dedupeKeys.passwordReset(p.resetToken),
    recipient: { address: p.email, name: p.displayName },
  });
}

/** A link that no longer works is not worth an email (the consumer ran late, or a replay). */
const expired = (t: Fact<typeof PasswordResetRequestedSchema>["payload"]["expireTime"], now: number) =>
  t === undefined || timestampMs(t) <= now;
