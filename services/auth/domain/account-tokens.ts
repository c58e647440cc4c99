import { randomBytes } from "node:crypto";
import { FailedPreconditionError } from "../../../platform/errors/index.js";

/**
 * Tokens sent by email (password reset, email verification): 256 random bits, base64url, stored
 * only as SHA-256 (see refresh-token.ts#hashToken), single-use, expiring. The decision whether one
 * may be spent is pure; the use-cases lock the row and apply it.
 */
export type AccountTokenKind = "password_reset" | "email_verification";

/** How long each kind works after it is issued. */
export const accountTokenTtlMs: Readonly<Record<AccountTokenKind, number>> = {
  password_reset: 30 * 60_000,
  email_verification: 24 * 3600_000,
};

/** Spent and expired tokens are kept this long past expiry (for support questions), then pruned. */
export const accountTokenRetentionMs = 24 * 3600_000;

export function newAccountToken(): string {
  return randomBytes(32).toString("base64url");
}

/** A token as stored, reduced to what the decision needs (undefined: no such token). */
export interface AccountTokenState {
  kind: string;
  expireMs: number;
  useMs: number | null;
}

const refusal: Record<AccountTokenKind, [string, string]> = {
  password_reset: ["INVALID_RESET_TOKEN", "this reset link is unknown, used or expired: ask for a new one"],
  email_verification: [
    "INVALID_VERIFICATION_TOKEN",
    "this verification link is unknown, used or expired: ask for a new one",
  ],
};

/**
 * Whether a token of `kind` may be spent at `nowMs`: FAILED_PRECONDITION with the kind's reason
 * when it is unknown, of another kind, already used or expired — one answer for all four, so the
 * refusal tells nothing about which tokens exist.
 */
export function assertSpendable(token: AccountTokenState | undefined, kind: AccountTokenKind, nowMs: number): void {
  if (token !== undefined && token.kind === kind && token.useMs === null && nowMs < token.expireMs) return;
  const [reason, message] = refusal[kind];
  throw new FailedPreconditionError(reason, message);
}
