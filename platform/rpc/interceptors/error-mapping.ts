import { Code, ConnectError, type ContextValues, type Interceptor } from "@connectrpc/connect";
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
  const map = (service: string, values: ContextValues, e: unknown): ConnectError => {
    let domain = domains.get(service);
    if (domain === undefined) domains.set(service, (domain = errorDomain(service)));
    const ce = toConnectError(e, domain);
    if (ce.code === Code.Internal && !(e instanceof ConnectError)) {
      (values.get(loggerKey)?.logger ?? fallbackLogger).error({ err: e }, "unhandled error in handler");
    }
    return ce;
  };
  // Not an async function: a successful unary call passes through with one `catch` and no await.
  return (next) => (req) => {
    const fail = (e: unknown) => {
      throw map(req.service.typeName, req.contextValues, e);
    };
    let res: ReturnType<typeof next>;
    try {
      res = next(req); // an inner interceptor may throw before it returns a promise
    } catch (e) {
      return Promise.reject(map(req.service.typeName, req.contextValues, e));
    }
    if (!req.stream) return res.catch(fail);
    return res.then(
      (r) =>
        r.stream
          ? { ...r, message: mapStreamError(r.message, (e) => map(req.service.typeName, req.contextValues, e)) }
          : r,
      fail,
    );
  };
}
