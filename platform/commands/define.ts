import type { DescMessage, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { Principal } from "../principal/index.js";
import type { CommandPipeline, RunOptions } from "./pipeline.js";
import type { WriteScope } from "./scope.js";

/** What every command's deps carry: the service's pipeline (`ctx.commands()`). */
export interface CommandDeps {
  readonly commands: CommandPipeline;
}

/** The steps of a multi-step command, each idempotent and recorded under the command's request id. */
export interface Flow {
  /** Who asked. */
  readonly principal: Principal | undefined;
  /**
   * A step that changes this service's database: runs `fn` in its own transaction (outbox events,
   * after-commit hooks) and records its result in the same transaction under
   * (caller, `<name>#<step>`, request_id). A repeat of the command gets the recorded result back
   * without running `fn`.
   */
  transaction<S extends DescMessage>(
    step: string,
    schema: S,
    fn: (scope: WriteScope) => Promise<MessageInitShape<S>>,
  ): Promise<MessageShape<S>>;
  /**
   * A step outside any transaction, such as a call to another service. `fn` must itself be
   * idempotent by a key taken from an earlier step's result (Checkout charges with idempotency key
   * = the order id): its result is recorded only after it returns, so a crash in between makes the
   * repeat call it again. When two repeats race, both continue with the result recorded first.
   */
  call<S extends DescMessage>(
    step: string,
    schema: S,
    fn: () => Promise<MessageInitShape<S>>,
  ): Promise<MessageShape<S>>;
}

interface Common<Deps, I extends DescMessage, O extends DescMessage, P> {
  /**
   * The command's name, the same from every caller (RPC, consumer, sweeper, CLI): `<service>.<Verb>`,
   * e.g. `event.CreateEvent`. It scopes idempotency records with the caller and the request id.
   */
  readonly name: string;
  /** The input's schema: its binary form is hashed to tell a repeat from a reused request id. */
  readonly input: I;
  /** The result's schema: the stored and replayed result. */
  readonly output: O;
  /**
   * Checks and work before any transaction (input rules, the principal, CPU-heavy work like
   * password hashing); its value reaches the change. Runs on repeats too.
   */
  prepare?(deps: Deps, principal: Principal | undefined, input: MessageShape<I>): P | Promise<P>;
  /**
   * After the commit and on every replay (so it must be idempotent): work keyed by the result,
   * like invalidating the cache entry of the changed resource. A replay that follows a crash
   * between commit and hook heals it.
   */
  after?(deps: Deps, result: MessageShape<O>): Promise<void> | void;
}

/** A command whose change is one transaction (most writes). */
export interface CommandSpec<Deps, I extends DescMessage, O extends DescMessage, P> extends Common<Deps, I, O, P> {
  /**
   * The AIP-155 request id of an input. Without it the command is not idempotent (its own design
   * makes repeats safe, like Login): no record is kept.
   */
  readonly requestId?: (input: MessageShape<I>) => string;
  /**
   * Write the idempotency record once, with the answer, as the change's last statement, instead of
   * inserting it first and filling in the answer at the end: one statement fewer per call (a hold:
   * 7 → 6). Only for a change whose first lock is on a row that every copy of the same request
   * locks too, before anything a running copy could change is read (HoldSeats: the buyer row, in
   * `hold_begin`; ReleaseHold: the hold row, after reading its immutable owner). With the record first, a copy
   * running at the same time on another instance waits on the record; without it, it must wait on
   * that row instead — else it could refuse (a seat the first copy holds uncommitted) while the
   * first one succeeds, and the two copies would answer differently. A copy that arrives later
   * runs the change again, meets the record at the end (duplicate key), rolls back and replays;
   * one whose change refuses reads the record before rolling back and replays it too.
   * Not for multi-step commands, nor when the command joins a consumer's transaction (`within`):
   * those keep the record first. See docs/service-template.md#idempotency.
   */
  readonly recordAtEnd?: boolean;
  /** The change, inside the pipeline's transaction, with the idempotency record already claimed (unless `recordAtEnd`). */
  execute(deps: Deps, scope: WriteScope, input: MessageShape<I>, prepared: P): Promise<MessageInitShape<O>>;
}

/** A command of several steps (Checkout: commit the order, charge over gRPC, commit the outcome). */
export interface MultiStepCommandSpec<Deps, I extends DescMessage, O extends DescMessage, P>
  extends Common<Deps, I, O, P> {
  /** Required: the request id is what a repeat finds the command's steps by. */
  readonly requestId: (input: MessageShape<I>) => string;
  /**
   * The steps, through `flow` only (anything else here runs again on every repeat). The result
   * should be built from the steps' results, so a repeat answers what the first run answered.
   */
  run(deps: Deps, flow: Flow, input: MessageShape<I>, prepared: P): Promise<MessageInitShape<O>>;
}

/** A command as the pipeline runs it. */
export interface CommandDefinition<Deps, I extends DescMessage, O extends DescMessage> {
  readonly name: string;
  readonly input: I;
  readonly output: O;
  readonly requestId: ((input: MessageShape<I>) => string) | undefined;
  readonly multiStep: boolean;
  /** The record is written at the end of the (only) transaction: see {@link CommandSpec.recordAtEnd}. */
  readonly recordAtEnd: boolean;
  prepare(deps: Deps, principal: Principal | undefined, input: MessageShape<I>): Promise<unknown>;
  steps(deps: Deps, flow: Flow, input: MessageShape<I>, prepared: unknown): Promise<MessageInitShape<O>>;
  after(deps: Deps, result: MessageShape<O>): Promise<void>;
}

/**
 * A use-case that writes: `(deps, principal, input) → result`, run through the service's pipeline
 * (`deps.commands`). Every caller — the RPC layer, a consumer, a sweeper, the CLI — calls it the
 * same way, so idempotency and events do not depend on the transport.
 */
export interface Command<Deps extends CommandDeps, I extends DescMessage, O extends DescMessage> {
  (deps: Deps, principal: Principal | undefined, input: MessageShape<I>, opts?: RunOptions): Promise<MessageShape<O>>;
  readonly definition: CommandDefinition<Deps, I, O>;
}

function callable<Deps extends CommandDeps, I extends DescMessage, O extends DescMessage>(
  definition: CommandDefinition<Deps, I, O>,
): Command<Deps, I, O> {
  const run = async (deps: Deps, principal: Principal | undefined, input: MessageShape<I>, opts?: RunOptions) =>
    (await deps.commands.run(run as Command<Deps, I, O>, deps, principal, input, opts)).result;
  return Object.assign(run, { definition });
}

/** Declares a one-transaction command (see {@link CommandSpec}). */
export function command<Deps extends CommandDeps, I extends DescMessage, O extends DescMessage, P = undefined>(
  spec: CommandSpec<Deps, I, O, P>,
): Command<Deps, I, O> {
  return callable({
    name: spec.name,
    input: spec.input,
    output: spec.output,
    requestId: spec.requestId,
    multiStep: false,
    recordAtEnd: spec.recordAtEnd === true,
    prepare: async (deps, principal, input) => spec.prepare?.(deps, principal, input),
    steps: (deps, flow, input, prepared) =>
      flow.transaction("", spec.output, (scope) => spec.execute(deps, scope, input, prepared as P)),
    after: async (deps, result) => spec.after?.(deps, result),
  });
}

/** Declares a multi-step command (see {@link MultiStepCommandSpec} and docs/service-template.md). */
export function multiStepCommand<Deps extends CommandDeps, I extends DescMessage, O extends DescMessage, P = undefined>(
  spec: MultiStepCommandSpec<Deps, I, O, P>,
): Command<Deps, I, O> {
  return callable({
    name: spec.name,
    input: spec.input,
    output: spec.output,
    requestId: spec.requestId,
    multiStep: true,
    recordAtEnd: false,
    prepare: async (deps, principal, input) => spec.prepare?.(deps, principal, input),
    steps: (deps, flow, input, prepared) => spec.run(deps, flow, input, prepared as P),
    after: async (deps, result) => spec.after?.(deps, result),
  });
}
