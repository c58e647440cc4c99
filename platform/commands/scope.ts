import type { EventType } from "../bus/events.js";
import type { Outbox, OutboxEvent } from "../bus/outbox.js";
import type { Clock } from "../clock/index.js";
import { afterCommit, type CommitHook, type Tx } from "../db/index.js";
import type { Principal } from "../principal/index.js";

/**
 * What a use-case's change sees inside the pipeline's transaction: the transaction itself, who
 * asked, the time of this attempt, and the two things a write says besides its rows — the
 * integration events it causes and the work to do once it has committed.
 */
export interface WriteScope {
  /** The transaction of this attempt: everything written with it commits together, or nothing does. */
  readonly tx: Tx;
  /** Who asked (undefined: an anonymous caller). */
  readonly principal: Principal | undefined;
  /** The clock when this attempt started (ms since the epoch); a deadlock retry gets a new scope. */
  readonly now: number;
  /**
   * Writes integration events to the outbox in this transaction (the change and its events commit
   * together); the relays are woken once it has committed. Only the types the service declares in
   * `ServiceModule.publishes` are accepted.
   */
  emit(...events: OutboxEvent[]): Promise<void>;
  /**
   * Runs `hook` after the commit (never after a rollback), before the caller gets its answer: cache
   * invalidation, stream notifications. A failing hook fails the call, but the change stays
   * committed; a repeat with the same request id gets the replay.
   */
  afterCommit(hook: CommitHook): void;
}

/** The outbox side of a service as the pipeline sees it. */
export interface Publisher {
  readonly outbox: Outbox | undefined;
  /** The event types the service declared it publishes. */
  readonly publishes: readonly EventType[];
  readonly service: string;
}

/** A scope on `tx`; one per transaction attempt. */
export function writeScope(tx: Tx, principal: Principal | undefined, clock: Clock, pub: Publisher): WriteScope {
  let woken = false;
  return {
    tx,
    principal,
    now: clock.now(),
    async emit(...events) {
      if (events.length === 0) return;
      const outbox = pub.outbox;
      for (const e of events) {
        if (outbox === undefined || !pub.publishes.includes(e.type)) {
          throw new Error(
            `${pub.service} emits ${e.type.schema.typeName} but does not declare it in its ServiceModule.publishes`,
          );
        }
      }
      await outbox!.add(tx, ...events);
      if (!woken) {
        woken = true;
        afterCommit(tx, () => outbox!.notify());
      }
    },
    afterCommit: (hook) => afterCommit(tx, hook),
  };
}
