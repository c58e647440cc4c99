import type { HandlerContext } from "@connectrpc/connect";
import type { Event } from "../../../gen/boxoffice/event/v1/event_pb.js";
import type { Outbox } from "../../../platform/bus/outbox.js";
import type { Clock } from "../../../platform/clock/index.js";
import type { IdempotencyStore } from "../../../platform/db/idempotency.js";
import type { Db } from "../../../platform/db/index.js";
import type { IdGenerator } from "../../../platform/ids/index.js";
import { principalKey } from "../../../platform/rpc/context.js";
import { PermissionDeniedError, UnauthenticatedError } from "../../../platform/rpc/errors.js";
import type { PageTokens } from "../../../platform/rpc/page-token.js";

/** Reads events through the cache (GetEvent's hot path) and drops entries after writes. */
export interface EventCache {
  get(id: string): Promise<Event | undefined>;
  invalidate(id: string): Promise<void>;
}

export interface EventDeps {
  db: Db;
  clock: Clock;
  newId: IdGenerator;
  idempotency: IdempotencyStore;
  outbox: Outbox;
  pageTokens: PageTokens;
  cache: EventCache;
}

/** The signed-in caller of an organiser RPC (the access declaration already required a user). */
export interface Caller {
  id: string;
  admin: boolean;
}

export function caller(ctx: HandlerContext): Caller {
  const p = ctx.values.get(principalKey);
  if (p?.kind !== "user") throw new UnauthenticatedError();
  return { id: p.subject, admin: p.roles.includes("ADMIN") };
}

/** An anonymous reader is fine for public reads; organisers and admins see drafts. */
export function reader(ctx: HandlerContext): Caller | undefined {
  const p = ctx.values.get(principalKey);
  return p?.kind === "user" ? { id: p.subject, admin: p.roles.includes("ADMIN") } : undefined;
}

/** Organisers act only on what they own; admins on everything. */
export function assertOwner(c: Caller, ownerId: string, what: string): void {
  if (!c.admin && c.id !== ownerId)
    throw new PermissionDeniedError(`this ${what} belongs to another organiser`, "NOT_OWNER");
}
