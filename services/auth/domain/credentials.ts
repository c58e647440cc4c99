import { randomBytes } from "node:crypto";
import { hash, verify } from "@node-rs/argon2";
import type { FieldViolation } from "../../../platform/errors/index.js";

/**
 * argon2id with OWASP's minimum for argon2id: 19 MiB of memory, 2 passes, 1 lane (~36-60 ms per
 * hash on one core here). Stored as a PHC string, so parameters can be raised later and old
 * hashes still verify.
 */
// `algorithm: 2` is Algorithm.Argon2id: the package's enum is a `const enum`, which isolated modules cannot import.
export const argon2Params = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, argon2Params);
}

export function verifyPassword(phc: string, password: string): Promise<boolean> {
  return verify(phc, password).catch(() => false);
}

/**
 * Verifies against a hash of a random password nobody knows: run for unknown emails so "no such
 * user" costs one hash, like "wrong password", and timing does not tell which emails exist.
 */
export class DummyHash {
  #phc: Promise<string> | undefined;
  /** How many times it ran (tests check that unknown users pay for a hash). */
  runs = 0;
  async verify(password: string): Promise<false> {
    this.#phc ??= hashPassword(randomBytes(24).toString("base64url"));
    this.runs++;
    await verifyPassword(await this.#phc, password);
    return false;
  }
}

export const passwordMinLength = 12;
export const passwordMaxLength = 128;

/** A few passwords long enough for the length rule that are still on every attacker's list. */
const common = new Set([
  "password1234",
  "123456789012",
  "qwertyuiopas",
  "passwordpassword",
  "iloveyou1234",
  "letmeinletmein",
  "aaaaaaaaaaaa",
]);

/**
 * The password policy (NIST 800-63B style: length, not composition rules): 12-128 characters,
 * not a well-known password, not one repeated character, not the email address.
 */
export function passwordViolations(password: string, email: string): FieldViolation[] {
  const v = (description: string, reason: string): FieldViolation[] => [{ field: "password", description, reason }];
  const length = [...password].length;
  if (length < passwordMinLength) return v(`must be at least ${passwordMinLength} characters`, "PASSWORD_TOO_SHORT");
  if (length > passwordMaxLength) return v(`must be at most ${passwordMaxLength} characters`, "PASSWORD_TOO_LONG");
  if (new Set(password).size === 1 || common.has(password.toLowerCase()))
    return v("is too easy to guess", "PASSWORD_TOO_COMMON");
  if (password.toLowerCase() === email.toLowerCase() || password.toLowerCase() === email.split("@")[0]?.toLowerCase()) {
    return v("must not be the email address", "PASSWORD_IS_EMAIL");
  }
  return [];
}

const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** A (canonical: domain/email.ts) address that looks like one and fits the column. */
export function emailViolations(email: string): FieldViolation[] {
  if (email.length === 0) return [{ field: "email", description: "required", reason: "REQUIRED" }];
  if (email.length > 254 || !emailPattern.test(email))
    return [{ field: "email", description: "is not an email address", reason: "INVALID_FORMAT" }];
  return [];
}

export function displayNameViolations(name: string): FieldViolation[] {
  const n = name.trim();
  if (n.length === 0) return [{ field: "display_name", description: "required", reason: "REQUIRED" }];
  if ([...n].length > 100)
    return [{ field: "display_name", description: "must be at most 100 characters", reason: "TOO_LONG" }];
  return [];
}
