/**
 * Every provider call under one cockatiel policy: a time limit per attempt (the attempt is aborted
 * through its signal), retries only where repeating cannot charge twice, and one circuit breaker
 * for the provider. Charges and refunds always carry an idempotency key and the processor dedupes
 * on it, yet we retry them only on {@link ProviderRetryableError} (the request never took effect):
 * after an unknown outcome the answer is learned by lookup, not by sending money requests again.
 * Lookups are reads and retry on both. The result is the same {@link PaymentProvider} interface,
 * with the taxonomy narrowed: a timeout becomes an unknown outcome, an open circuit a retryable
 * error, and anything an adapter did not classify an unknown outcome.
 */
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleWhen,
  type IPolicy,
  retry,
  TaskCancelledError,
  TimeoutStrategy,
  timeout,
  wrap,
} from "cockatiel";
import {
  type PaymentProvider,
  type ProviderCallOptions,
  type ProviderChargeLookup,
  type ProviderChargeOutcome,
  type ProviderChargeRequest,
  ProviderError,
  ProviderKeyReusedError,
  type ProviderRefundRequest,
  type ProviderRefundResult,
  ProviderRejectedError,
  ProviderRetryableError,
  ProviderUnknownOutcomeError,
} from "./provider.js";

export interface ProviderPolicyOptions {
  /** Time limit of one attempt, ms (default 4000). */
  timeoutMs?: number;
  /** Retries after the first attempt (default 2). */
  retries?: number;
  /** First retry delay, ms (default 100; exponential with jitter up to 1000). */
  backoffMs?: number;
  /** Consecutive failed calls (after their retries) that open the circuit (default 5). */
  breakAfter?: number;
  /** How long the circuit stays open before one trial call, ms (default 10000). */
  halfOpenAfterMs?: number;
}

/** Errors that say the provider is in trouble; a decline, a reused key or a refusal do not. */
const troubled = (e: unknown) =>
  !(e instanceof ProviderKeyReusedError) && !(e instanceof ProviderRejectedError) && !(e instanceof BrokenCircuitError);

/** The longest one call can take under these options (every attempt timing out, maximal backoff). */
export function worstCaseCallMs(o: ProviderPolicyOptions = {}): number {
  const attempts = (o.retries ?? 2) + 1;
  return attempts * (o.timeoutMs ?? 4000) + (attempts - 1) * 1000;
}

export class ResilientProvider implements PaymentProvider {
  readonly name: string;
  readonly #money: IPolicy;
  readonly #read: IPolicy;
  readonly #breaker;

  constructor(
    private readonly inner: PaymentProvider,
    opts: ProviderPolicyOptions = {},
  ) {
    this.name = inner.name;
    this.#breaker = circuitBreaker(handleWhen(troubled), {
      halfOpenAfter: opts.halfOpenAfterMs ?? 10_000,
      breaker: new ConsecutiveBreaker(opts.breakAfter ?? 5),
    });
    const perAttempt = timeout(opts.timeoutMs ?? 4000, TimeoutStrategy.Aggressive);
    const backoff = () => new ExponentialBackoff({ initialDelay: opts.backoffMs ?? 100, maxDelay: 1000 });
    const retries = opts.retries ?? 2;
    const moneyRetry = retry(
      handleWhen((e) => e instanceof ProviderRetryableError),
      { maxAttempts: retries, backoff: backoff() },
    );
    const readRetry = retry(
      handleWhen(
        (e) =>
          e instanceof ProviderRetryableError ||
          e instanceof ProviderUnknownOutcomeError ||
          e instanceof TaskCancelledError,
      ),
      { maxAttempts: retries, backoff: backoff() },
    );
    // The breaker outermost: it counts calls, not attempts, so one card's retried error cannot open it alone.
    this.#money = wrap(this.#breaker, moneyRetry, perAttempt);
    this.#read = wrap(this.#breaker, readRetry, perAttempt);
  }

  /** True while the circuit is open (calls fail fast with {@link ProviderRetryableError}). */
  get circuitOpen(): boolean {
    return this.#breaker.state === CircuitState.Open || this.#breaker.state === CircuitState.Isolated;
  }

  /** The breaker's cockatiel CircuitState (for the circuit_breaker_state gauge). */
  get circuitState(): CircuitState {
    return this.#breaker.state;
  }

  charge(req: ProviderChargeRequest, opts: ProviderCallOptions = {}): Promise<ProviderChargeOutcome> {
    return this.#run(this.#money, (signal) => this.inner.charge(req, { signal }), opts.signal, "charge");
  }

  refund(req: ProviderRefundRequest, opts: ProviderCallOptions = {}): Promise<ProviderRefundResult> {
    return this.#run(this.#money, (signal) => this.inner.refund(req, { signal }), opts.signal, "refund");
  }

  lookupCharge(idempotencyKey: string, opts: ProviderCallOptions = {}): Promise<ProviderChargeLookup> {
    return this.#run(
      this.#read,
      (signal) => this.inner.lookupCharge(idempotencyKey, { signal }),
      opts.signal,
      "lookup",
    );
  }

  async #run<T>(
    policy: IPolicy,
    call: (signal: AbortSignal) => Promise<T>,
    signal: AbortSignal | undefined,
    what: "charge" | "refund" | "lookup",
  ): Promise<T> {
    try {
      return await policy.execute(({ signal: s }) => call(s), signal);
    } catch (e) {
      if (e instanceof BrokenCircuitError)
        throw new ProviderRetryableError(`${this.name}: circuit open, ${what} not sent`, { cause: e });
      // A read that failed had no effect, whatever the reason.
      if (what === "lookup" && !(e instanceof ProviderRetryableError))
        throw new ProviderRetryableError(`${this.name}: lookup failed`, { cause: e });
      if (e instanceof TaskCancelledError)
        throw new ProviderUnknownOutcomeError(`${this.name}: no answer to the ${what} in time`, { cause: e });
      if (e instanceof ProviderError) throw e;
      throw new ProviderUnknownOutcomeError(`${this.name}: ${what} failed unexpectedly`, { cause: e });
    }
  }
}
