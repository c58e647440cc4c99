import { createHash } from "node:crypto";
import {
  create,
  type DescMessage,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import { and, eq, lt } from "drizzle-orm";
import type { Clock } from "../clock/index.js";
import { principalKey } from "../rpc/context.js";
import { FailedPreconditionError, InvalidArgumentError } from "../rpc/errors.js";
import { procedureOf } from "../rpc/service.js";
import { type Db, isDuplicateKey, type Tx, withTransaction } from "./index.js";
import { idempotencyRecords } from "./platform-schema.js";

/** Who asked, what, under which id: the scope of one idempotency record. */
export interface IdempotencyKey {
  caller: string;
  method: string;
  requestId: string;
}

export interface IdempotentResult<T> {
  response: T;
  /** True when this is the stored response of an earlier request with the same id. */
  replayed: boolean;
}

const requestIdPattern = /^[A-Za-z0-9_-]{8,64}$/;

/**
 * The idempotency key of a call: the caller (user subject, service name, or "anonymous"), the
 * procedure and the request's `request_id`, which must be present (INVALID_ARGUMENT otherwise).
 */
export function idempotencyKey(ctx: HandlerContext, requestId: string): IdempotencyKey {
  if (!requestIdPattern.test(requestId)) {
    throw new InvalidArgumentError([
      {
        field: "request_id",
        description: "required: a client-chosen unique id (a UUID), 8-64 characters of [A-Za-z0-9_-]",
        reason: requestId === "" ? "REQUIRED" : "INVALID_FORMAT",
      },
    ]);
  }
  const principal = ctx.values.get(principalKey);
  const caller =
    principal === undefined
      ? "anonymous"
      : principal.kind === "user"
        ? `user:${principal.subject}`
        : `service:${principal.service}`;
  return { caller, method: procedureOf(ctx.method), requestId };
}

/** Marker: the key exists (or existed while we waited), so this call replays instead of acting. */
class Duplicate extends Error {}

/**
 * AIP-155 request idempotency on MariaDB. {@link run} claims (caller, method, request_id) by
 * inserting its record first in the effect's transaction: a concurrent duplicate blocks on that
 * row until the first commits, then finds it and replays the stored response, so 20 identical
 * requests at once make one effect. The record and the effect commit or roll back together: a
 * failed attempt leaves no record, and a retry may succeed. Records live at least `retentionMs`.
 */
export class IdempotencyStore {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly retentionMs: number,
  ) {}

  async run<D extends DescMessage>(
    key: IdempotencyKey,
    request: { schema: DescMessage; message: MessageShape<DescMessage> },
    responseSchema: D,
    effect: (tx: Tx) => Promise<MessageInitShape<D>>,
  ): Promise<IdempotentResult<MessageShape<D>>> {
    const requestHash = createHash("sha256").update(toBinary(request.schema, request.message)).digest();
    const where = and(
      eq(idempotencyRecords.caller, key.caller),
      eq(idempotencyRecords.method, key.method),
      eq(idempotencyRecords.requestId, key.requestId),
    );
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const response = await withTransaction(this.db, async (tx) => {
          const now = this.clock.now();
          try {
            await tx.insert(idempotencyRecords).values({
              ...key,
              requestHash,
              response: null,
              createTime: new Date(now),
              expireTime: new Date(now + this.retentionMs),
            });
          } catch (e) {
            if (isDuplicateKey(e)) throw new Duplicate();
            throw e;
          }
          const message = create(responseSchema, await effect(tx));
          await tx
            .update(idempotencyRecords)
            .set({ response: Buffer.from(toBinary(responseSchema, message)) })
            .where(where);
          return message;
        });
        return { response, replayed: false };
      } catch (e) {
        if (!(e instanceof Duplicate)) throw e;
      }
      const [stored] = await this.db.orm.select().from(idempotencyRecords).where(where);
      // Pruned between our insert and this read: try again as a new request.
      if (stored === undefined || stored.response === null) continue;
      if (!Buffer.from(stored.requestHash).equals(requestHash)) {
        throw new FailedPreconditionError(
          "REQUEST_ID_REUSED",
          `request_id ${key.requestId} was already used for a different request to ${key.method}`,
          { request_id: key.requestId },
        );
      }
      return { response: fromBinary(responseSchema, stored.response), replayed: true };
    }
    throw new Error(`idempotency record ${key.requestId} kept disappearing`);
  }

  /** Deletes up to `batch` records past their retention; returns how many. Call until it returns < batch. */
  async prune(batch = 1000): Promise<number> {
    const [res] = await this.db.orm
      .delete(idempotencyRecords)
      .where(lt(idempotencyRecords.expireTime, new Date(this.clock.now())))
      .limit(batch);
    return res.affectedRows;
  }
}
