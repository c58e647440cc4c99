/**
 * The command pipeline: the one write path of every service. A use-case says what changes
 * (`execute` with a {@link WriteScope}); the pipeline owns the transaction (retried on deadlock),
 * the AIP-155 idempotency record, the outbox events and the work after the commit. Multi-step
 * commands record each step under the request id, so a repeat finds the command where it stands.
 * See docs/service-template.md.
 *
 * ```ts
 * export const cancelEvent = command({
 *   name: "event.CancelEvent", input: CancelEventRequestSchema, output: EventSchema,
 *   requestId: (req) => req.requestId,
 *   async execute(d: EventDeps, w, req) { …; await w.emit({ type: EventCancelled, … }); return event; },
 *   after: (d, event) => d.cache.invalidate(event.id),
 * });
 * const event = await cancelEvent(deps, principal, request); // from the RPC layer, a consumer, the CLI
 * ```
 */

export type { OutboxEvent } from "../bus/outbox.js";
export {
  type Command,
  type CommandDefinition,
  type CommandDeps,
  type CommandSpec,
  command,
  type Flow,
  type MultiStepCommandSpec,
  multiStepCommand,
} from "./define.js";
export { type CommandOutcome, CommandPipeline, type CommandPipelineOptions, type RunOptions } from "./pipeline.js";
export type { WriteScope } from "./scope.js";
