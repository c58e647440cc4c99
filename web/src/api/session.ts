/**
 * The signed-in session. The access token (15 minutes) lives only in memory; the refresh token
 * (30 days, rotated on every use) lives in localStorage, so a reload or a second tab stays signed
 * in. Why there and what protects it: web/README.md ("Where the refresh token lives").
 *
 * Rotation is serialised across tabs with the Web Locks API and always spends the token currently
 * in storage (never a copy a tab kept in memory), so two tabs never spend the same token, which
 * the auth service would treat as reuse and answer by revoking the whole session.
 */
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { signal } from "@preact/signals";
import type { TokenPair } from "../gen/boxoffice/auth/v1/auth_pb.js";
import { Role, type User } from "../gen/boxoffice/auth/v1/auth_pb.js";
import { authAnonymous, authClient } from "./clients.js";
import { newRequestId } from "./ids.js";
import { setTokenSource } from "./transport.js";

const STORE_KEY = "boxoffice.session";
/** Refresh the access token when it has less than this left (clock skew, slow networks). */
const EARLY_MS = 60_000;

interface Stored {
  refreshToken: string;
  refreshExpireMs: number;
}

/** The signed-in user, or undefined. */
export const currentUser = signal<User | undefined>(undefined);
/** False until the session stored by an earlier page load has been restored (or found absent). */
export const sessionReady = signal(false);

let access: { token: string; expireMs: number; fromRefresh: string } | undefined;
let inFlight: Promise<string | undefined> | undefined;

function readStored(): Stored | undefined {
  try {
    const raw = localStorage.getItem(STORE_KEY);
    if (raw === null) return undefined;
    const s = JSON.parse(raw) as Stored;
    if (typeof s.refreshToken !== "string" || s.refreshExpireMs < Date.now()) return undefined;
    return s;
  } catch {
    return undefined;
  }
}

function keep(tokens: TokenPair | undefined): void {
  if (tokens === undefined) throw new ConnectError("no tokens in the answer", Code.Internal);
  const stored: Stored = {
    refreshToken: tokens.refreshToken,
    refreshExpireMs: tokens.refreshTokenExpireTime ? timestampDate(tokens.refreshTokenExpireTime).getTime() : 0,
  };
  localStorage.setItem(STORE_KEY, JSON.stringify(stored));
  access = {
    token: tokens.accessToken,
    expireMs: tokens.accessTokenExpireTime ? timestampDate(tokens.accessTokenExpireTime).getTime() : 0,
    fromRefresh: tokens.refreshToken,
  };
}

function forget(): void {
  localStorage.removeItem(STORE_KEY);
  access = undefined;
  currentUser.value = undefined;
}

/** Runs `fn` holding the cross-tab refresh lock (or directly where Web Locks are missing). */
function withRefreshLock<T>(fn: () => Promise<T>): Promise<T> {
  const locks = (navigator as Navigator & { locks?: LockManager }).locks;
  return locks ? (locks.request("boxoffice.refresh", fn) as Promise<T>) : fn();
}

/**
 * Rotates the stored refresh token into a new pair. Single-flight within the tab; serialised across
 * tabs. Resolves the new access token, or undefined when the session is gone (signed out).
 */
function refresh(): Promise<string | undefined> {
  inFlight ??= withRefreshLock(async () => {
    const stored = readStored();
    if (stored === undefined) {
      forget();
      return undefined;
    }
    // another tab rotated while we waited for the lock: nothing to spend twice
    if (access !== undefined && access.fromRefresh === stored.refreshToken && access.expireMs - Date.now() > EARLY_MS) {
      return access.token;
    }
    try {
      const res = await authAnonymous.refresh({ refreshToken: stored.refreshToken });
      keep(res.tokens);
      return access?.token;
    } catch (e) {
      if (ConnectError.from(e).code === Code.Unauthenticated) {
        forget();
        return undefined;
      }
      throw e;
    }
  }).finally(() => {
    inFlight = undefined;
  });
  return inFlight;
}

/** A valid access token for the next call (refreshed first when about to expire), or undefined. */
export async function accessToken(): Promise<string | undefined> {
  if (access !== undefined && access.expireMs - Date.now() > EARLY_MS) return access.token;
  if (readStored() === undefined) return undefined;
  return refresh();
}

/**
 * The server refused `rejected` as UNAUTHENTICATED (expired early, keys rotated): refresh once and
 * return a new token, or undefined when there is no session or the token was already replaced.
 */
export async function renewAfterRejection(rejected: string): Promise<string | undefined> {
  if (access !== undefined && access.token !== rejected) return access.token;
  access = undefined;
  return refresh();
}

/** Signs in; the answer carries the user, so no GetMe is needed. */
export async function signIn(email: string, password: string): Promise<User | undefined> {
  const res = await authAnonymous.login({ email, password });
  keep(res.tokens);
  currentUser.value = res.user;
  return res.user;
}

/** Creates an account (a CUSTOMER), then signs in with it. */
export async function register(email: string, password: string, displayName: string): Promise<void> {
  await authAnonymous.register({ requestId: newRequestId(), email, password, displayName });
  await signIn(email, password);
}

/** Ends the session everywhere it was used: the server revokes the refresh token's family. */
export async function signOut(): Promise<void> {
  const stored = readStored();
  forget();
  if (stored !== undefined) {
    try {
      await authAnonymous.logout({ requestId: newRequestId(), refreshToken: stored.refreshToken });
    } catch {
      // already signed out locally; the refresh token expires on its own if the server missed this
    }
  }
}

/** Re-reads the user (after a role change the next token carries the new roles). */
export async function reloadUser(): Promise<void> {
  const res = await authClient.getMe({});
  currentUser.value = res.user;
}

/** Restores the session of an earlier page load, if any. Called once at start. */
export async function restoreSession(): Promise<void> {
  try {
    if (readStored() !== undefined && (await refresh()) !== undefined) await reloadUser();
  } catch {
    // offline or the server is down: the pages say so when they load; stay signed out for now
  } finally {
    sessionReady.value = true;
  }
}

setTokenSource({ current: accessToken, renew: renewAfterRejection });

// Signing out in another tab removes the stored token: follow it here.
window.addEventListener("storage", (e) => {
  if (e.key === STORE_KEY && e.newValue === null && currentUser.value !== undefined) {
    access = undefined;
    currentUser.value = undefined;
  }
});

/** True when the signed-in user has `role` (admins may do what organisers do). */
export function hasRole(role: Role): boolean {
  const roles = currentUser.value?.roles ?? [];
  return roles.includes(role) || (role === Role.ORGANIZER && roles.includes(Role.ADMIN));
}
