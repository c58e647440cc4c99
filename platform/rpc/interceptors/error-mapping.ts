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
  const domains = new Map<string, string>();
  return (next) => async (req) => {
    try {
      const res = await next(req);
      if (!res.stream) return res;
      const map = mapper(req.service.typeName, req.contextValues);
      return { ...res, message: mapStreamError(res.message, map) };
    } catch (e) {
      throw mapper(req.service.typeName, req.contextValues)(e);
    }
  };

  function mapper(service: string, values: Parameters<Parameters<Interceptor>[0]>[0]["contextValues"]) {
    let domain = domains.get(service);
    if (domain === undefined) domains.set(service, (domain = errorDomain(service)));
    return (e: unknown) => {
      const ce = toConnectError(e, domain);
      if (ce.code === Code.Internal && !(e instanceof ConnectError)) {
        (values.get(loggerKey)?.logger ?? fallbackLogger).error({ err: e }, "unhandled error in handler");
      }
      return ce;
    };
  }
}
