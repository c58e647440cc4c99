import type { ServiceImpl } from "@connectrpc/connect";
import { type Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import { NotFoundError } from "../rpc/errors.js";

export { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";

/**
 * Serving status per service name ("" is the whole process), as `grpc.health.v1` reports it.
 * {@link HealthRegistry.drain} turns everything NOT_SERVING at once and freezes it, which is what
 * load balancers and Kubernetes probes must see while the process drains.
 */
export class HealthRegistry {
  readonly #status = new Map<string, Status>();
  #draining = false;
  #changed = Promise.withResolvers<void>();

  /** Sets a service's status (ignored once draining: a draining process never turns SERVING again). */
  set(service: string, status: Status): void {
    if (this.#draining) return;
    this.#status.set(service, status);
    this.#notify();
  }

  /** A service's status, or undefined for a service this process does not know. */
  get(service: string): Status | undefined {
    return this.#status.get(service);
  }

  /** Every known service name (including "" for the process). */
  names(): string[] {
    return [...this.#status.keys()];
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** Marks every service NOT_SERVING for good and wakes all watchers, which then end their streams. */
  drain(): void {
    for (const name of this.#status.keys()) this.#status.set(name, Status.NOT_SERVING);
    this.#draining = true;
    this.#notify();
  }

  /**
   * The status of `service` now and after every change, until the process drains (the last value
   * sent is NOT_SERVING) or `signal` aborts (the caller went away).
   */
  async *watch(service: string, signal: AbortSignal): AsyncGenerator<Status> {
    let last: Status | undefined;
    const aborted = new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
    while (!signal.aborted) {
      const changed = this.#changed.promise;
      const now = this.get(service) ?? Status.SERVICE_UNKNOWN;
      if (now !== last) {
        last = now;
        yield now;
      }
      if (this.#draining) return;
      await Promise.race([changed, aborted]);
    }
  }

  #notify(): void {
    const done = this.#changed;
    this.#changed = Promise.withResolvers<void>();
    done.resolve();
  }
}

/** The `grpc.health.v1.Health` service over a registry. */
export function createHealthService(registry: HealthRegistry): ServiceImpl<typeof Health> {
  return {
    check(req) {
      const status = registry.get(req.service);
      if (status === undefined)
        throw new NotFoundError("service", req.service === "" ? '""' : req.service, "SERVICE_UNKNOWN");
      return { status };
    },
    async *watch(req, ctx) {
      for await (const status of registry.watch(req.service, ctx.signal)) yield { status };
    },
    list() {
      const statuses: Record<string, { status: Status }> = {};
      for (const name of registry.names()) statuses[name] = { status: registry.get(name) ?? Status.UNKNOWN };
      return { statuses };
    },
  };
}
