import { createHmac } from "node:crypto";
import { type DescMessage, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { and, eq, lt } from "drizzle-orm";
import type { MySql2Database } from "drizzle-orm/mysql2";
import type { Clock } from "../clock/index.js";
import { type Db, isDuplicateKey, type Tx } from "../db/index.js";
import { idempotencyRecords } from "../db/platform-schema.js";
import { FailedPreconditionError, InvalidArgumentError } from "../errors/index.js";

/** Who asked, what, under which id: the scope of one idempotency record. */
export interface IdempotencyKey {
  /** `user:<id>`, `service:<name>` or `anonymous` (see principalKey). */
  caller: string;
  /** The command's name; a step of a multi-step command adds `#<step>`. */
  method: string;
  requestId: string;
}

/** A stored record: the keyed hash of the request that made it and the serialized result. */
export interface IdempotencyRecord {
  requestHash: Buffer;
  response: Buffer | null;
}

const requestIdPattern = /^[A-Za-z0-9_-]{8,64}$/;

/** Refuses a missing or malformed `request_id` (INVALID_ARGUMENT on the field `request_id`). */
export function checkRequestId(requestId: string): void {
  if (requestIdPattern.test(requestId)) return;
  throw new InvalidArgumentError([
    {
      field: "request_id",
      description: "required: a client-chosen unique id (a UUID), 8-64 characters of [A-Za-z0-9_-]",
      reason: requestId === "" ? "REQUIRED" : "INVALID_FORMAT",
    },
  ]);
}

/**
 * HMAC-SHA-256 of a request's binary form under the server's key: tells a repeat from a different
 * request reusing the id. Keyed, because requests carry secrets (a Register's password, a reset
 * token) and a record lives for a day: a plain hash would let whoever reads the table test
 * password guesses offline at SHA-256 speed.
 */
export function requestHash<D extends DescMessage>(key: Uint8Array, schema: D, message: MessageShape<D>): Buffer {
  return createHmac("sha256", key).update(toBinary(schema, message)).digest();
}

/** The answer to a request id reused for a different request (AIP-155). */
export function requestIdReused(key: IdempotencyKey): FailedPreconditionError {
  return new FailedPreconditionError(
    "REQUEST_ID_REUSED",
    `request_id ${key.requestId} was already used for a different request to ${key.method}`,
    { request_id: key.requestId },
  );
}

/**
 * AIP-155 records on a service's database, used only by the command pipeline (services never call
 * it: see the boundary rules). Insert-then-act: {@link claim} inserts the record first, in the
 * effect's transaction; a concurrent duplicate blocks on that row until the first commits, then
 * finds it and replays. The record commits or rolls back with the effect, so a failed attempt
 * leaves nothing and a retry may succeed. A command declared `recordAtEnd` inserts its record last,
 * with the answer, instead (its own first lock makes copies wait; see define.ts). Records live at
 * least `retentionMs`.
 */
export class IdempotencyStore {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly retentionMs: number,
  ) {}

  /**
   * Inserts the record for `key` in `tx` (with `response` when it is already known); false when a
   * record exists — after waiting for a concurrent transaction holding it to commit or roll back.
   */
  async claim(tx: Tx, key: IdempotencyKey, hash: Buffer, response: Uint8Array | null = null): Promise<boolean> {
    const now = this.clock.now();
    try {
      await tx.insert(idempotencyRecords).values({
        ...key,
        requestHash: hash,
        response: response === null ? null : Buffer.from(response),
        createTime: new Date(now),
        expireTime: new Date(now + this.retentionMs),
      });
      return true;
    } catch (e) {
      if (isDuplicateKey(e)) return false;
      throw e;
    }
  }

  /** Stores the result of a claimed record, in the claim's transaction. */
  async complete(tx: Tx, key: IdempotencyKey, response: Uint8Array): Promise<void> {
    await tx
      .update(idempotencyRecords)
      .set({ response: Buffer.from(response) })
      .where(where(key));
  }

  /** The committed record of `key`, if any (read with `q`, the pool or a transaction). */
  async find(key: IdempotencyKey, q: Tx | MySql2Database = this.db.orm): Promise<IdempotencyRecord | undefined> {
    const [row] = await q
      .select({ requestHash: idempotencyRecords.requestHash, response: idempotencyRecords.response })
      .from(idempotencyRecords)
      .where(where(key));
    return row === undefined ? undefined : { requestHash: Buffer.from(row.requestHash), response: row.response };
  }

  /** Deletes up to `batch` records past their retention; returns how many. Call until it returns 0. */
  async prune(batch = 1000): Promise<number> {
    const [res] = await this.db.orm
      .delete(idempotencyRecords)
      .where(lt(idempotencyRecords.expireTime, new Date(this.clock.now())))
      .limit(batch);
    return res.affectedRows;
  }
}

function where(key: IdempotencyKey) {
  return and(
    eq(idempotencyRecords.caller, key.caller),
    eq(idempotencyRecords.method, key.method),
    eq(idempotencyRecords.requestId, key.requestId),
  );
}
