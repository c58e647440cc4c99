import { EchoService } from "../../gen/boxoffice/testing/v1/echo_service_pb.js";
import { sleep } from "../../platform/clock/index.js";
import { access } from "../../platform/rpc/access.js";
import { defineService, type ServiceRegistration } from "../../platform/rpc/service.js";

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

/**
 * Resolves once the server behind `adminUrl` has an Echo call in progress (its rpc_server_inflight
 * gauge): what a drain test waits for before it stops the server, instead of a fixed sleep that a
 * busy machine outlasts before the call arrives.
 */
export async function echoInFlight(adminUrl: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await (await fetch(`${adminUrl}/metrics`)).text();
    const n = /^rpc_server_inflight\{service="[^"]*EchoService"\} (\d+)/m.exec(text)?.[1];
    if (Number(n ?? 0) > 0) return;
    if (Date.now() > deadline) throw new Error(`no Echo call in progress after ${timeoutMs} ms`);
    await sleep(20);
  }
}
