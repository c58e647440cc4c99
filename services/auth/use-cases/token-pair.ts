import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type TokenPair, TokenPairSchema } from "../../../gen/boxoffice/auth/v1/auth_pb.js";
import { signAccessToken } from "../../../platform/auth/sign.js";
import type { Role as RoleName } from "../../../platform/auth/tokens.js";
import type { RefreshRow, UserRow } from "../db/repository.js";
import type { AuthDeps } from "../deps.js";

/**
 * An access token for `user`, issued at `issuedMs` with id `jti`. Ed25519 signatures are
 * deterministic, so the same inputs give the same token: that is how a refresh retry within the
 * grace window gets the identical pair back.
 */
async function accessToken(
  d: AuthDeps,
  user: UserRow,
  issuedMs: number,
  jti: string,
): Promise<{ token: string; expireMs: number }> {
  const issuedSec = Math.floor(issuedMs / 1000);
  const token = await signAccessToken({
    key: d.keys.signer,
    issuer: d.config.issuer,
    audience: d.config.audience,
    ttlSeconds: d.config.accessTtlSeconds,
    clock: { now: () => issuedSec * 1000, date: () => new Date(issuedSec * 1000) },
    jti,
    subject: user.id,
    roles: user.roles as RoleName[],
  });
  return { token, expireMs: (issuedSec + d.config.accessTtlSeconds) * 1000 };
}

/** The token pair of a refresh token row: the access token is issued at the row's creation, with its id. */
export async function tokenPair(
  d: AuthDeps,
  user: UserRow,
  refresh: { token: string; row: Pick<RefreshRow, "id" | "createTime" | "expireTime"> },
): Promise<TokenPair> {
  const access = await accessToken(d, user, refresh.row.createTime.getTime(), refresh.row.id);
  return create(TokenPairSchema, {
    accessToken: access.token,
    accessTokenExpireTime: timestampFromMs(access.expireMs),
    refreshToken: refresh.token,
    refreshTokenExpireTime: timestampFromMs(refresh.row.expireTime.getTime()),
    tokenType: "Bearer",
  });
}
