/**
 * Refresh-token rotation with reuse detection, as a pure decision over what the database holds.
 *
 * - The first use of a token rotates it: it is marked used and a successor joins its family.
 * - Using it again within the grace window (a lost response, a mesh retry) returns that same
 *   successor — if the successor is still alive.
 * - Using it again later is a stolen token being replayed: the whole family is revoked.
 */

/** A refresh token as stored, reduced to what the decision needs. */
export interface RefreshTokenState {
  revokeMs: number | null;
  expireMs: number;
  /** When it was used (rotated); null while unused. */
  rotateMs: number | null;
}

export type RefreshDecision =
  | { kind: "refuse"; reason: "REFRESH_TOKEN_UNKNOWN" | "REFRESH_TOKEN_REVOKED" | "REFRESH_TOKEN_EXPIRED" }
  /** First use: issue the successor. */
  | { kind: "rotate" }
  /** A repeat within the grace window: answer with the existing successor again. */
  | { kind: "repeat" }
  /** A replay after the grace window: revoke the family, then refuse (REFRESH_TOKEN_REUSED). */
  | { kind: "revoke-family" };

/**
 * What to do with a presented token. `successor` is the token that replaced it (looked up only when
 * it was rotated): `{ revoked }`, or undefined when there is none.
 */
export function decideRefresh(
  token: RefreshTokenState | undefined,
  successor: { revoked: boolean } | undefined,
  nowMs: number,
  graceMs: number,
): RefreshDecision {
  if (token === undefined) return { kind: "refuse", reason: "REFRESH_TOKEN_UNKNOWN" };
  if (token.revokeMs !== null) return { kind: "refuse", reason: "REFRESH_TOKEN_REVOKED" };
  if (token.expireMs <= nowMs) return { kind: "refuse", reason: "REFRESH_TOKEN_EXPIRED" };
  if (token.rotateMs === null) return { kind: "rotate" };
  const withinGrace = nowMs - token.rotateMs <= graceMs;
  return withinGrace && successor !== undefined && !successor.revoked ? { kind: "repeat" } : { kind: "revoke-family" };
}

/** How long after its expiry a refresh token row is kept (expired ones still answer EXPIRED, not UNKNOWN). */
export const expiredTokenRetentionMs = 24 * 3600_000;
