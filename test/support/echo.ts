import { Code, ConnectError } from "@connectrpc/connect";
import { EchoService } from "../../gen/boxoffice/testing/v1/echo_service_pb.js";
import { access } from "../../platform/rpc/access.js";
import { defineService, type ServiceRegistration } from "../../platform/rpc/service.js";

/** Waits `ms`, or rejects with the signal's reason (a deadline, a cancel, a shutdown). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason instanceof Error ? signal.reason : new ConnectError("aborted", Code.Canceled));
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** The test-only echo service: public, honours deadlines. Never registered by `boxoffice serve`. */
export const echoService: ServiceRegistration = defineService(
  EchoService,
  { echo: access.public(), echoStream: access.public() },
  {
    async echo(req, ctx) {
      if (req.delayMs > 0) await sleep(req.delayMs, ctx.signal);
      return { message: req.message };
    },
    async *echoStream(req, ctx) {
      for (let index = 0; index < req.count; index++) {
        if (req.delayMs > 0) await sleep(req.delayMs, ctx.signal);
        yield { message: req.message, index };
      }
    },
  },
);
