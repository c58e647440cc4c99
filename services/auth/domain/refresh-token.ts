import { createHash, createHmac, randomBytes } from "node:crypto";

/** Refresh tokens are opaque random strings; only their SHA-256 is stored. */
export function newRefreshToken(): string {
  return randomBytes(32).toString("base64url");
}

export function hashToken(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

/**
 * The successor of a refresh token is derived, not random: HMAC(secret, token). A client that
 * retries a refresh within the grace window (its first response was lost) therefore gets the very
 * same new token back, without the server ever storing a token in clear.
 */
export function successorToken(secret: string, token: string): string {
  return createHmac("sha256", secret).update(token).digest("base64url");
}
