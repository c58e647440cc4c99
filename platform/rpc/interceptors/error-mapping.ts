import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "pino";
import { loggerKey } from "../context.js";
import { errorDomain, toConnectError } from "../errors.js";
import { mapStreamError } from "../stream.js";

/**
 * Turns whatever a handler or an inner interceptor throws into a wire error, in one place
 * ({@link toConnectError}). An error that is neither a DomainError nor a ConnectError is a bug:
 * its stack is logged here and the caller only sees "internal error".
 */
export function errorMappingInterceptor(fallbackLogger: Logger): Interceptor {
  return (next) => async (req) => {
    const domain = errorDomain(req.service.typeName);
    const map = (e: unknown) => {
      const ce = toConnectError(e, domain);
      if (ce.code === Code.Internal && !(e instanceof ConnectError)) {
        (req.contextValues.get(loggerKey) ?? fallbackLogger).error({ err: e }, "unhandled error in handler");
      }
      return ce;
    };
    try {
      const res = await next(req);
      return res.stream ? { ...res, message: mapStreamError(res.message, map) } : res;
    } catch (e) {
      throw map(e);
    }
  };
}
