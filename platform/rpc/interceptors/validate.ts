import { create, type DescMessage, type DescService, type Message } from "@bufbuild/protobuf";
import type { Path } from "@bufbuild/protobuf/reflect";
import { createValidator, type Violation } from "@bufbuild/protovalidate";
import type { Interceptor } from "@connectrpc/connect";
import { type FieldViolation, InvalidArgumentError } from "../errors.js";

/** At most this many field violations go back to the caller (a broken 100,000-seat venue has more). */
export const maxReportedViolations = 20;
/** Rule messages come from the schema, not the input; still, no description is longer than this. */
const maxDescription = 200;
/** Map keys in a field path are input: only a short prefix is quoted. */
const maxKey = 32;

/**
 * Checks request messages against the rules their contracts declare (protovalidate annotations in
 * `proto/`). One instance serves a process: protovalidate plans each message type once, on first
 * use or in {@link RequestValidator.compile}, and reuses the plan for every later message.
 */
export interface RequestValidator {
  /** Plans `schema` now, so a rule that cannot compile fails the start instead of the first call. */
  compile(schema: DescMessage): void;
  /** The message's violations (at most {@link maxReportedViolations}) and how many there were in all. */
  violations(schema: DescMessage, message: Message): { list: FieldViolation[]; total: number };
  /** Throws InvalidArgumentError with `google.rpc.BadRequest` field violations when `message` breaks a rule. */
  check(schema: DescMessage, message: Message): void;
}

/** A validator over protovalidate with the platform's violation shape (snake_case paths, rule ids as reasons). */
export function createRequestValidator(): RequestValidator {
  const validator = createValidator();
  const run = (schema: DescMessage, message: Message) => {
    const result = validator.validate(schema, message);
    // A rule that fails to compile or evaluate is our bug, not the caller's: INTERNAL, logged by error mapping.
    if (result.kind === "error") throw new Error(`validating ${schema.typeName}: ${result.error.message}`);
    return result.kind === "invalid" ? result.violations : [];
  };
  const self: RequestValidator = {
    compile(schema) {
      run(schema, create(schema));
    },
    violations(schema, message) {
      const all = run(schema, message);
      return { list: all.slice(0, maxReportedViolations).map(toFieldViolation), total: all.length };
    },
    check(schema, message) {
      const { list, total } = self.violations(schema, message);
      if (total === 0) return;
      const first = list[0]!;
      const more = total > 1 ? ` (and ${total - 1} more)` : "";
      throw new InvalidArgumentError(list, `invalid ${first.field}: ${first.description}${more}`);
    },
  };
  return self;
}

/**
 * Enforces the contract's validation rules on every request before the handler runs, answering
 * INVALID_ARGUMENT with field violations (through the error-mapping interceptor, like every other
 * error). It sits after authentication and the access check, so an anonymous caller of a protected
 * RPC learns nothing but UNAUTHENTICATED, and before admission, so a malformed request never takes
 * an in-flight slot or reaches a handler. Unary and server-streaming requests are checked before
 * the handler is called; client and bidi streams message by message as the handler reads them.
 * Every input type of `services` is planned when the interceptor is made.
 */
export function validationInterceptor(
  services: readonly DescService[],
  validator: RequestValidator = createRequestValidator(),
): Interceptor {
  for (const s of services) for (const m of s.methods) validator.compile(m.input);
  return (next) => async (req) => {
    const input = req.method.input;
    if (!req.stream) {
      validator.check(input, req.message);
      return next(req);
    }
    const it = req.message[Symbol.asyncIterator]();
    if (req.method.methodKind === "server_streaming") {
      // One request message: read it now, so a bad one is refused before any handler code runs.
      const first = await it.next();
      if (first.done !== true) validator.check(input, first.value);
      return next({ ...req, message: replay(first, it) });
    }
    return next({ ...req, message: checked(it, (m) => validator.check(input, m)) });
  };
}

/** The stream again, with its first result (already read) in front. */
async function* replay<T>(first: IteratorResult<T>, rest: AsyncIterator<T>): AsyncIterable<T> {
  if (first.done === true) return;
  yield first.value;
  for (let r = await rest.next(); r.done !== true; r = await rest.next()) yield r.value;
}

async function* checked<T>(it: AsyncIterator<T>, check: (m: T) => void): AsyncIterable<T> {
  for (let r = await it.next(); r.done !== true; r = await it.next()) {
    check(r.value);
    yield r.value;
  }
}

function toFieldViolation(v: Violation): FieldViolation {
  return { field: fieldPath(v.field), description: bounded(v.message, maxDescription), reason: v.ruleId };
}

/** An AIP-193 field path from proto names: `event.price_tiers[0].price.amount_minor`. */
export function fieldPath(path: Path): string {
  let out = "";
  for (const e of path) {
    switch (e.kind) {
      case "field":
      case "oneof":
        out += out === "" ? e.name : `.${e.name}`;
        break;
      case "extension":
        out += `${out === "" ? "" : "."}[${e.typeName}]`;
        break;
      case "list_sub":
        out += `[${e.index}]`;
        break;
      case "map_sub":
        out += `[${JSON.stringify(bounded(String(e.key), maxKey))}]`;
        break;
    }
  }
  return out;
}

const bounded = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max)}…`);
