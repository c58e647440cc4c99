import { createHash, timingSafeEqual } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { HandlerContext } from "@connectrpc/connect";
import { type TokenPair, TokenPairSchema, type User } from "../../../gen/boxoffice/auth/v1/auth_pb.js";
import {
  type LogoutRequest,
  LogoutRequestSchema,
  LogoutResponseSchema,
} from "../../../gen/boxoffice/auth/v1/auth_service_pb.js";
import { signAccessToken, signServiceToken } from "../../../platform/auth/sign.js";
import type { Role as RoleName } from "../../../platform/auth/tokens.js";
import type { Clock } from "../../../platform/clock/index.js";
import { type IdempotencyStore, idempotencyKey } from "../../../platform/db/idempotency.js";
import { type Db, withTransaction } from "../../../platform/db/index.js";
import type { IdGenerator } from "../../../platform/ids/index.js";
import { clientAddressKey } from "../../../platform/rpc/context.js";
import { InvalidArgumentError, UnauthenticatedError } from "../../../platform/rpc/errors.js";
import type { AuthConfig } from "../config.js";
import type { DummyHash } from "../domain/credentials.js";
import { normaliseEmail, verifyPassword } from "../domain/credentials.js";
import { hashToken, newRefreshToken, successorToken } from "../domain/refresh-token.js";
import type { KeyRing } from "../keys.js";
import {
  findRefreshById,
  findUserByEmail,
  findUserById,
  insertRefreshToken,
  lockRefreshToken,
  markRotated,
  type RefreshRow,
  revokeFamily,
  type UserRow,
} from "../repository.js";
import type { LoginThrottle } from "../throttle.js";
import { toUser } from "./accounts.js";

export interface SessionDeps {
  db: Db;
  clock: Clock;
  newId: IdGenerator;
  idempotency: IdempotencyStore;
  keys: KeyRing;
  config: AuthConfig & { issuer: string; audience: string; refreshSecret: string };
  throttle: LoginThrottle;
  dummyHash: DummyHash;
  /** service name → secret, from BOXOFFICE_SERVICE_SECRETS. */
  serviceSecrets: Readonly<Record<string, string>>;
}

const badCredentials = () => new UnauthenticatedError("wrong email or password", "INVALID_CREDENTIALS");
const badRefresh = (reason: string) => new UnauthenticatedError("the refresh token is not valid; log in again", reason);

/**
 * An access token for `user`, issued at `issuedMs` with id `jti`. Ed25519 signatures are
 * deterministic, so the same inputs give the same token: that is how a refresh retry within the
 * grace window gets the identical pair back.
 */
async function accessToken(
  d: SessionDeps,
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

async function pair(
  d: SessionDeps,
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

/**
 * Login: throttled per email and per client address; an unknown email and a wrong password give
 * the same error after the same work (one argon2 verification each). Opens a refresh family.
 */
export async function login(
  d: SessionDeps,
  email: string,
  password: string,
  ctx: HandlerContext,
): Promise<{ tokens: TokenPair; user: User }> {
  const normal = normaliseEmail(email);
  if (normal === "" || password === "") {
    throw new InvalidArgumentError([
      ...(normal === "" ? [{ field: "email", description: "required", reason: "REQUIRED" }] : []),
      ...(password === "" ? [{ field: "password", description: "required", reason: "REQUIRED" }] : []),
    ]);
  }
  await d.throttle.attempt(normal, ctx.values.get(clientAddressKey));
  const user = await findUserByEmail(d.db.orm, normal);
  const ok =
    user === undefined ? await d.dummyHash.verify(password) : await verifyPassword(user.passwordHash, password);
  if (!ok || user === undefined) throw badCredentials();
  const token = newRefreshToken();
  const now = d.clock.now();
  const id = d.newId();
  const row = {
    id,
    familyId: id,
    userId: user.id,
    tokenHash: hashToken(token),
    createTime: new Date(now),
    expireTime: new Date(now + d.config.refreshTtlDays * 86_400_000),
  };
  await withTransaction(d.db, (tx) => insertRefreshToken(tx, row));
  return { tokens: await pair(d, user, { token, row }), user: toUser(user) };
}

/**
 * Refresh with rotation and reuse detection. The first use rotates: the token is marked used and
 * its successor (derived, see successorToken) joins the family. Using it again within the grace
 * window returns that same successor and the same access token; later, it is a stolen token being
 * replayed: the whole family is revoked.
 */
export async function refresh(d: SessionDeps, token: string): Promise<TokenPair> {
  if (token === "")
    throw new InvalidArgumentError([{ field: "refresh_token", description: "required", reason: "REQUIRED" }]);
  type Outcome = { error: string } | { error?: undefined; user: UserRow; token: string; row: RefreshRow };
  const outcome = await withTransaction(d.db, async (tx): Promise<Outcome> => {
    const now = d.clock.now();
    const row = await lockRefreshToken(tx, hashToken(token));
    if (row === undefined) return { error: "REFRESH_TOKEN_UNKNOWN" };
    if (row.revokeTime !== null) return { error: "REFRESH_TOKEN_REVOKED" };
    if (row.expireTime.getTime() <= now) return { error: "REFRESH_TOKEN_EXPIRED" };
    const user = await findUserById(tx, row.userId);
    if (user === undefined) return { error: "REFRESH_TOKEN_UNKNOWN" };
    const next = successorToken(d.config.refreshSecret, token);
    if (row.rotateTime !== null) {
      const successor = row.replacedBy === null ? undefined : await findRefreshById(tx, row.replacedBy);
      const withinGrace = now - row.rotateTime.getTime() <= d.config.refreshGraceSeconds * 1000;
      if (withinGrace && successor !== undefined && successor.revokeTime === null) {
        return { user, token: next, row: successor };
      }
      await revokeFamily(tx, row.familyId, new Date(now));
      return { error: "REFRESH_TOKEN_REUSED" };
    }
    const successor = {
      id: d.newId(),
      familyId: row.familyId,
      userId: row.userId,
      tokenHash: hashToken(next),
      createTime: new Date(now),
      expireTime: new Date(now + d.config.refreshTtlDays * 86_400_000),
      rotateTime: null,
      replacedBy: null,
      revokeTime: null,
    };
    await insertRefreshToken(tx, successor);
    await markRotated(tx, row.id, successor.id, new Date(now));
    return { user, token: next, row: successor };
  });
  // The revocation above must commit, so the error is raised only after the transaction.
  if (outcome.error !== undefined) throw badRefresh(outcome.error);
  return pair(d, outcome.user, { token: outcome.token, row: outcome.row });
}

/** Logout revokes the token's whole family; unknown or already revoked tokens are fine (idempotent). */
export async function logout(d: SessionDeps, req: LogoutRequest, ctx: HandlerContext): Promise<void> {
  const key = idempotencyKey(ctx, req.requestId);
  if (req.refreshToken === "")
    throw new InvalidArgumentError([{ field: "refresh_token", description: "required", reason: "REQUIRED" }]);
  await d.idempotency.run(key, { schema: LogoutRequestSchema, message: req }, LogoutResponseSchema, async (tx) => {
    const row = await lockRefreshToken(tx, hashToken(req.refreshToken));
    if (row !== undefined) await revokeFamily(tx, row.familyId, new Date(d.clock.now()));
    return {};
  });
}

/** Exchanges a service's secret for a short-lived service token (constant-time comparison). */
export async function issueServiceToken(
  d: SessionDeps,
  service: string,
  secret: string,
): Promise<{ token: string; expireMs: number }> {
  const expected = d.serviceSecrets[service];
  const digest = (s: string) => createHash("sha256").update(s).digest();
  const matches = expected !== undefined && timingSafeEqual(digest(expected), digest(secret));
  if (!matches) throw new UnauthenticatedError("unknown service or wrong secret", "INVALID_SERVICE_CREDENTIALS");
  const now = d.clock.now();
  const token = await signServiceToken({
    key: d.keys.signer,
    issuer: d.config.issuer,
    audience: d.config.audience,
    ttlSeconds: d.config.serviceTokenTtlSeconds,
    clock: d.clock,
    service,
  });
  return { token, expireMs: Math.floor(now / 1000) * 1000 + d.config.serviceTokenTtlSeconds * 1000 };
}
