import type { TokenPair } from "../../../gen/boxoffice/auth/v1/auth_pb.js";
import { InvalidArgumentError, UnauthenticatedError } from "../../../platform/errors/index.js";
import type { Principal } from "../../../platform/principal/index.js";
import {
  findRefreshById,
  findUserById,
  insertRefreshToken,
  lockRefreshToken,
  markRotated,
  type RefreshRow,
  revokeFamily,
  type UserRow,
} from "../db/repository.js";
import type { AuthDeps } from "../deps.js";
import { decideRefresh } from "../domain/refresh-rotation.js";
import { hashToken, successorToken } from "../domain/refresh-token.js";
import { tokenPair } from "./token-pair.js";

type Outcome = { error: string } | { error?: undefined; user: UserRow; token: string; row: RefreshRow };

/**
 * Refresh with rotation and reuse detection (domain/refresh-rotation.ts). No request id: a repeat
 * within the grace window answers with the same pair by design (the successor is derived).
 */
export async function refresh(
  d: AuthDeps,
  principal: Principal | undefined,
  req: { refreshToken: string },
): Promise<TokenPair> {
  const token = req.refreshToken;
  if (token === "")
    throw new InvalidArgumentError([{ field: "refresh_token", description: "required", reason: "REQUIRED" }]);
  const outcome = await d.commands.transaction(principal, async (w): Promise<Outcome> => {
    const row = await lockRefreshToken(w.tx, hashToken(token));
    const user = row === undefined ? undefined : await findUserById(w.tx, row.userId);
    const state =
      row === undefined || user === undefined
        ? undefined
        : {
            revokeMs: row.revokeTime?.getTime() ?? null,
            expireMs: row.expireTime.getTime(),
            rotateMs: row.rotateTime?.getTime() ?? null,
          };
    const successor =
      row?.rotateTime != null && row.replacedBy !== null ? await findRefreshById(w.tx, row.replacedBy) : undefined;
    const decision = decideRefresh(
      state,
      successor === undefined ? undefined : { revoked: successor.revokeTime !== null },
      w.now,
      d.config.refreshGraceSeconds * 1000,
    );
    const next = successorToken(d.config.refreshSecret, token);
    switch (decision.kind) {
      case "refuse":
        return { error: decision.reason };
      case "repeat":
        return { user: user!, token: next, row: successor! };
      case "revoke-family":
        await revokeFamily(w.tx, row!.familyId, new Date(w.now));
        return { error: "REFRESH_TOKEN_REUSED" };
      case "rotate": {
        const fresh = {
          id: d.newId(),
          familyId: row!.familyId,
          userId: row!.userId,
          tokenHash: hashToken(next),
          createTime: new Date(w.now),
          expireTime: new Date(w.now + d.config.refreshTtlDays * 86_400_000),
          rotateTime: null,
          replacedBy: null,
          revokeTime: null,
        };
        await insertRefreshToken(w.tx, fresh);
        await markRotated(w.tx, row!.id, fresh.id, new Date(w.now));
        return { user: user!, token: next, row: fresh };
      }
    }
  });
  // The revocation above must commit, so the error is raised only after the transaction.
  if (outcome.error !== undefined)
    throw new UnauthenticatedError("the refresh token is not valid; log in again", outcome.error);
  return tokenPair(d, outcome.user, { token: outcome.token, row: outcome.row });
}
