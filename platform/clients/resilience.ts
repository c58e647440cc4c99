import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import {
  BrokenCircuitError,
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleWhen,
  retry,
  TaskCancelledError,
  TimeoutStrategy,
  timeout,
  wrap,
} from "cockatiel";

export interface ResilienceOptions {
  /** The downstream service (names the breaker in errors). */
  target: string;
  /** Each attempt's time limit, ms (default 3000). */
  timeoutMs?: number;
  /** Retries after the first attempt, for retry-safe calls only (default 2). */
  retries?: number;
  /** Consecutive failures that open the breaker (default 5). */
  breakAfter?: number;
  /** How long the breaker stays open before one trial call, ms (default 5000). */
  halfOpenAfterMs?: number;
  /** Given a reader of the breaker's state (cockatiel's CircuitState), e.g. for a gauge. */
  observeBreaker?: (state: () => number) => void;
}

/** Failures that say the downstream is in trouble (not that our request was wrong). */
function downstreamFailure(e: unknown): boolean {
  if (e instanceof TaskCancelledError) return true;
  const code = ConnectError.from(e).code;
  return code === Code.Unavailable || code === Code.DeadlineExceeded || code === Code.Internal || code === Code.Unknown;
}

/**
 * A call may be retried when repeating it cannot repeat its effect: reads (NO_SIDE_EFFECTS),
 * methods declared IDEMPOTENT, and requests carrying a `request_id` (AIP-155: the server replays).
 */
export function retrySafe(method: { idempotency: MethodOptions_IdempotencyLevel }, message: unknown): boolean {
  if (method.idempotency !== MethodOptions_IdempotencyLevel.IDEMPOTENCY_UNKNOWN) return true;
  const requestId = (message as { requestId?: unknown } | undefined)?.requestId;
  return typeof requestId === "string" && requestId !== "";
}

/**
 * The in-app half of the resilience rules (docs/architecture.md), as a client interceptor (cockatiel): every
 * unary call gets a timeout (the attempt is aborted, not just abandoned); retries happen only on
 * UNAVAILABLE and only for retry-safe calls, with jittered backoff; a breaker per downstream opens
 * after consecutive failures and fails fast with UNAVAILABLE while open. The mesh adds its own
 * retries under the same rule.
 */
export function resilienceInterceptor(opts: ResilienceOptions): Interceptor {
  const timeoutMs = opts.timeoutMs ?? 3_000;
  const breaker = circuitBreaker(handleWhen(downstreamFailure), {
    halfOpenAfter: opts.halfOpenAfterMs ?? 5_000,
    breaker: new ConsecutiveBreaker(opts.breakAfter ?? 5),
  });
  opts.observeBreaker?.(() => breaker.state);
  const perAttempt = timeout(timeoutMs, TimeoutStrategy.Aggressive);
  const retries = retry(
    handleWhen(
      (e) =>
        !(e instanceof TaskCancelledError) &&
        !(e instanceof BrokenCircuitError) &&
        ConnectError.from(e).code === Code.Unavailable,
    ),
    { maxAttempts: opts.retries ?? 2, backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 1_000 }) },
  );
  // The breaker is outermost: it counts calls after their retries, so one request that fails three
  // attempts (a card the provider chokes on) is one failure, not three toward opening it for everyone.
  const safe = wrap(breaker, retries, perAttempt);
  const once = wrap(breaker, perAttempt);
  return (next) => async (req) => {
    if (req.stream) return next(req);
    const policy = retrySafe(req.method, req.message) ? safe : once;
    try {
      return await policy.execute(({ signal }) => next({ ...req, signal: AbortSignal.any([req.signal, signal]) }));
    } catch (e) {
      if (e instanceof BrokenCircuitError)
        throw new ConnectError(
          `${opts.target} is failing: circuit open, not calling it`,
          Code.Unavailable,
          undefined,
          undefined,
          e,
        );
      if (e instanceof TaskCancelledError)
        throw new ConnectError(
          `${opts.target} did not answer within ${timeoutMs} ms`,
          Code.DeadlineExceeded,
          undefined,
          undefined,
          e,
        );
      throw e;
    }
  };
}
