import { Code, ConnectError } from "@connectrpc/connect";
import { isDatabaseUnavailable } from "../db/errors.js";

/**
 * Thrown by a handler (or the platform) for "not now, try again later": a dependency is down, or
 * the event must wait for something. Such attempts never count toward dead-lettering.
 */
export class TransientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TransientError";
  }
}

/** An every-fact consumer got an aggregate's event before the earlier ones were applied. */
export class WaitingForEarlierEvent extends TransientError {
  constructor(
    readonly aggregate: string,
    readonly sequence: number,
    readonly applied: number,
  ) {
    super(`${aggregate}: event ${sequence} waits for event ${applied + 1}`);
    this.name = "WaitingForEarlierEvent";
  }
}

/** Codes of a failed call to another service that say nothing about the event itself. */
const transientCodes = new Set([Code.Unavailable, Code.DeadlineExceeded, Code.ResourceExhausted, Code.Aborted]);

/** NATS client error codes of a broken or slow connection. */
const natsTransient =
  /^(TIMEOUT|CONNECTION_CLOSED|CONNECTION_DRAINING|CONNECTION_REFUSED|DISCONNECT|NO_RESPONDERS|503)$/;

/**
 * True for failures of the infrastructure rather than of the handler's own logic: the database,
 * the broker or another service unreachable, overloaded or timed out, or a {@link TransientError}.
 * Consumers retry these with backoff for as long as it takes, without using up the attempts that
 * lead to the dead-letter stream; a one-minute MariaDB restart must not dead-letter anything.
 */
export function isInfrastructureError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e !== null && typeof e === "object" && depth < 5; depth++) {
    if (e instanceof TransientError) return true;
    if (e instanceof ConnectError && transientCodes.has(e.code)) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && natsTransient.test(code)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return isDatabaseUnavailable(err);
}
