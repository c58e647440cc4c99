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
