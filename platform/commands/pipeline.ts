import {
  create,
  type DescMessage,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import type { EventType } from "../bus/events.js";
import type { Outbox } from "../bus/outbox.js";
import type { Clock } from "../clock/index.js";
import { type Db, type Tx, withTransaction } from "../db/index.js";
import { DomainError } from "../errors/index.js";
import { type Principal, principalKey } from "../principal/index.js";
import type { Command, CommandDeps, Flow } from "./define.js";
import {
  checkRequestId,
  type IdempotencyKey,
  type IdempotencyRecord,
  type IdempotencyStore,
  requestHash,
  requestIdReused,
} from "./idempotency.js";
import { type Publisher, type WriteScope, writeScope } from "./scope.js";

/** What a service's pipeline is built from (the process does it: `ctx.commands()`). */
export interface CommandPipelineOptions {
  /** The service the pipeline writes for (its database, outbox and records). */
  service: string;
  db: Db;
  clock: Clock;
  idempotency: IdempotencyStore;
  /**
   * The key of request hashes in idempotency records (from BOXOFFICE_IDEMPOTENCY_SECRET): the same
   * on every replica and across restarts, or a repeat would look like a different request.
   */
  requestHashKey: Uint8Array;
  /** The service's outbox; absent when it publishes nothing. */
  outbox?: Outbox;
  /** The event types the service declared in `ServiceModule.publishes`. */
  publishes?: readonly EventType[];
}

/** How one run of a command joins its caller. */
export interface RunOptions {
  /**
   * Run inside this scope's transaction instead of opening one: a consumer passes the scope it was
   * given, so the inbox row, the idempotency record, the change and its events commit together and
   * the after-commit work runs after that one commit. One-transaction commands only.
   */
  within?: WriteScope;
}

/** A command's result and whether it is the stored result of an earlier run (AIP-155 replay). */
export interface CommandOutcome<T> {
  result: T;
  replayed: boolean;
}

/** Thrown out of a transaction to roll it back: a copy of the request recorded its answer first. */
class CopyCameFirst extends Error {}

/** Thrown out of a transaction to roll it back and replay `stored`, the record a copy committed. */
class Recorded extends Error {
  constructor(readonly stored: IdempotencyRecord) {
    super("a copy of this request recorded its answer first");
  }
}

interface StepResult<T> {
  value: T;
  replayed: boolean;
}

/**
 * The one write path of a service (eShop's TransactionBehavior + IdentifiedCommandHandler, with
 * insert-then-act): for each command it checks the request id, runs `prepare`, then the change in a
 * transaction retried on deadlock, with the idempotency record claimed first in that transaction,
 * the outbox events the change emits, the result stored for replay, and after the commit the
 * relay wake-up, the change's hooks and the command's `after`. A command whose first lock every
 * copy takes too may write its record once, at the end, with the answer (`recordAtEnd`: one
 * statement fewer). A repeat (same caller, command and request id) gets the stored result; the
 * same id with another request gets FAILED_PRECONDITION.
 */
export class CommandPipeline {
  readonly #o: CommandPipelineOptions;
  readonly #pub: Publisher;
  /**
   * Runs of this process per idempotency key (caller, command, request id). A duplicate that
   * arrives while the first is running waits here, in memory, for its outcome: a success it reads
   * back from the committed record (replays); a failure — a refusal, a shed, a fault, none of which
   * records anything — is its answer too, since it is the same request at the same moment. Without
   * the wait, each concurrent copy (a double click, a client retry) would take a pool connection
   * and wait on the first one's record lock, so a burst of copies could hold the whole pool while
   * one of them works. Nor do copies act after a failed first: they then all ran at once, each on a
   * connection, and met on the change's own first lock (a HoldSeats buyer row) — in the 2,000-call
   * race such a queue outlived the statement timeout (UNAVAILABLE); run one after another instead,
   * each copy waited for every one before it (that race then had calls of 50–60 s). The client's
   * retry acts again. The database stays the source of truth: copies on other instances meet at the record.
   */
  readonly #running = new Map<string, Promise<unknown>>();

  constructor(opts: CommandPipelineOptions) {
    this.#o = opts;
    this.#pub = { outbox: opts.outbox, publishes: opts.publishes ?? [], service: opts.service };
  }

  /** The service this pipeline writes for. */
  get service(): string {
    return this.#o.service;
  }

  /** A scope on a transaction someone else opened (a consumer's inbox transaction). */
  scope(tx: Tx, principal: Principal | undefined): WriteScope {
    return writeScope(tx, principal, this.#o.clock, this.#pub);
  }

  /**
   * A write that keeps no idempotency record (its own design makes repeats safe: a login, a sweep):
   * a transaction retried on deadlock, with outbox events and after-commit hooks.
   */
  transaction<T>(principal: Principal | undefined, fn: (scope: WriteScope) => Promise<T>): Promise<T> {
    return withTransaction(this.#o.db, (tx) => fn(this.scope(tx, principal)));
  }

  /** Runs `cmd` for `principal`; see the class comment. Use-cases call this through the command itself. */
  async run<Deps extends CommandDeps, I extends DescMessage, O extends DescMessage>(
    cmd: Command<Deps, I, O>,
    deps: Deps,
    principal: Principal | undefined,
    input: MessageShape<I>,
    opts: RunOptions = {},
  ): Promise<CommandOutcome<MessageShape<O>>> {
    const def = cmd.definition;
    if (opts.within !== undefined && def.multiStep)
      throw new Error(`${def.name}: a multi-step command cannot join a transaction`);
    let base: IdempotencyKey | undefined;
    if (def.requestId !== undefined) {
      const requestId = def.requestId(input);
      checkRequestId(requestId);
      base = { caller: principalKey(principal), method: def.name, requestId };
    }
    if (base === undefined || opts.within !== undefined) return this.#run(cmd, deps, principal, input, opts, base);
    const key = `${base.caller}\u0000${base.method}\u0000${base.requestId}`;
    const ahead = this.#running.get(key);
    if (ahead !== undefined) {
      await ahead; // its failure is ours; its success is read back from the record
      return this.#run(cmd, deps, principal, input, opts, base, true);
    }
    const mine = this.#run(cmd, deps, principal, input, opts, base);
    this.#running.set(key, mine);
    try {
      return await mine;
    } finally {
      this.#running.delete(key);
    }
  }

  async #run<Deps extends CommandDeps, I extends DescMessage, O extends DescMessage>(
    cmd: Command<Deps, I, O>,
    deps: Deps,
    principal: Principal | undefined,
    input: MessageShape<I>,
    opts: RunOptions,
    base: IdempotencyKey | undefined,
    /** A copy of this request just ran here: its record is likely there (read it before acting). */
    afterCopy = false,
  ): Promise<CommandOutcome<MessageShape<O>>> {
    const def = cmd.definition;
    const prepared = await def.prepare(deps, principal, input);
    const hash = base === undefined ? undefined : requestHash(this.#o.requestHashKey, def.input, input);
    const seen = new Set<string>();
    let ran = 0;
    let replayed = 0;
    const keyOf = (step: string): IdempotencyKey | undefined => {
      if (seen.has(step)) throw new Error(`${def.name}: step ${JSON.stringify(step)} twice`);
      seen.add(step);
      ran++;
      return base === undefined ? undefined : { ...base, method: step === "" ? base.method : `${base.method}#${step}` };
    };
    const count = <T>(r: StepResult<T>): T => {
      if (r.replayed) replayed++;
      return r.value;
    };
    const flow: Flow = {
      principal,
      transaction: async (step, schema, fn) => {
        const key = keyOf(step);
        // record at the end only on a command's own transaction (never a consumer's: see define.ts)
        if (def.recordAtEnd && key !== undefined && opts.within === undefined)
          return count(await this.#recordAtEndStep(key, hash!, principal, schema, fn, afterCopy));
        return count(await this.#transactionStep(key, hash, principal, schema, fn, opts.within));
      },
      call: async (step, schema, fn) => count(await this.#callStep(keyOf(step), hash, schema, fn)),
    };
    const result = create(def.output, await def.steps(deps, flow, input, prepared));
    if (opts.within !== undefined) opts.within.afterCommit(() => def.after(deps, result));
    else await def.after(deps, result);
    return { result, replayed: base !== undefined && ran > 0 && replayed === ran };
  }

  async #transactionStep<S extends DescMessage>(
    key: IdempotencyKey | undefined,
    hash: Buffer | undefined,
    principal: Principal | undefined,
    schema: S,
    fn: (scope: WriteScope) => Promise<MessageInitShape<S>>,
    within: WriteScope | undefined,
  ): Promise<StepResult<MessageShape<S>>> {
    const store = this.#o.idempotency;
    const body = async (tx: Tx): Promise<MessageShape<S> | undefined> => {
      // Insert-then-act: the record first, so a concurrent duplicate waits on it and then replays.
      if (key !== undefined && !(await store.claim(tx, key, hash!))) return undefined;
      const value = create(schema, await fn(this.scope(tx, principal)));
      if (key !== undefined) await store.complete(tx, key, toBinary(schema, value));
      return value;
    };
    // A record that vanished between our failed claim and our read was pruned: claim again.
    for (let attempt = 0; attempt < 3; attempt++) {
      const value = within === undefined ? await withTransaction(this.#o.db, body) : await body(within.tx);
      if (value !== undefined) return { value, replayed: false };
      const stored = await store.find(key!, within?.tx);
      if (stored !== undefined && stored.response !== null) return this.#replay(key!, hash!, schema, stored);
    }
    throw new Error(`idempotency record ${key!.requestId} of ${key!.method} kept disappearing`);
  }

  /**
   * A transaction whose record is its last statement, written with the answer (CommandSpec.recordAtEnd):
   * no record first and no update of it. A duplicate key at the end means a copy of this request
   * committed first (earlier, or on another instance while this one ran): roll back, replay its
   * answer. When the change refuses (a DomainError), a copy may have committed first too (its
   * effect is why this one refuses): one read of the record — the only statement this adds, and
   * only to refusals — on the same connection before the rollback, so a refusal never queues for
   * the pool a second time. A refusal is not recorded (as before): a retry of it acts again.
   */
  async #recordAtEndStep<S extends DescMessage>(
    key: IdempotencyKey,
    hash: Buffer,
    principal: Principal | undefined,
    schema: S,
    fn: (scope: WriteScope) => Promise<MessageInitShape<S>>,
    afterCopy: boolean,
  ): Promise<StepResult<MessageShape<S>>> {
    const store = this.#o.idempotency;
    if (afterCopy) {
      // a copy waited in memory for the first run here: one read replays it, instead of running
      // the change again only to meet the record at its end
      const stored = await store.find(key);
      if (stored?.response != null) return this.#replay(key, hash, schema, stored);
    }
    // a committed record of this key makes the transaction roll back and the call replay it
    const replayIfRecorded = async (tx: Tx) => {
      const stored = await store.find(key, tx).catch(() => undefined); // a failed read keeps the first error
      if (stored?.response != null) throw new Recorded(stored);
    };
    // A record that vanished between our duplicate key and our read was pruned: run again.
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const value = await withTransaction(this.#o.db, async (tx) => {
          let v: MessageShape<S>;
          try {
            v = create(schema, await fn(this.scope(tx, principal)));
          } catch (e) {
            if (e instanceof DomainError) await replayIfRecorded(tx);
            throw e;
          }
          if (await store.claim(tx, key, hash, toBinary(schema, v))) return v;
          await replayIfRecorded(tx);
          throw new CopyCameFirst();
        });
        return { value, replayed: false };
      } catch (failure) {
        if (failure instanceof Recorded) return this.#replay(key, hash, schema, failure.stored);
        if (failure instanceof CopyCameFirst) continue;
        if (failure instanceof DomainError) throw failure;
        // not a refusal (a bug, the database): a copy's record may still answer (rare: from the pool)
        const stored = await store.find(key).catch(() => undefined);
        if (stored?.response != null) return this.#replay(key, hash, schema, stored);
        throw failure;
      }
    }
    throw new Error(`idempotency record ${key.requestId} of ${key.method} kept disappearing`);
  }

  async #callStep<S extends DescMessage>(
    key: IdempotencyKey | undefined,
    hash: Buffer | undefined,
    schema: S,
    fn: () => Promise<MessageInitShape<S>>,
  ): Promise<StepResult<MessageShape<S>>> {
    const store = this.#o.idempotency;
    if (key === undefined) return { value: create(schema, await fn()), replayed: false };
    const before = await store.find(key);
    if (before?.response != null) return this.#replay(key, hash!, schema, before);
    const value = create(schema, await fn());
    const bytes = toBinary(schema, value);
    if (await withTransaction(this.#o.db, (tx) => store.claim(tx, key, hash!, bytes)))
      return { value, replayed: false };
    // A racing repeat recorded its answer first: continue with that one, so both runs agree.
    const recorded = await store.find(key);
    if (recorded?.response == null) throw new Error(`step ${key.method} of ${key.requestId}: its record vanished`);
    return this.#replay(key, hash!, schema, recorded);
  }

  #replay<S extends DescMessage>(
    key: IdempotencyKey,
    hash: Buffer,
    schema: S,
    stored: IdempotencyRecord,
  ): StepResult<MessageShape<S>> {
    if (!stored.requestHash.equals(hash)) throw requestIdReused(key);
    return { value: fromBinary(schema, stored.response!), replayed: true };
  }
}
