import { ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "pino";
import type { IdGenerator } from "../../ids/index.js";
import { loggerKey, requestIdKey } from "../context.js";
import { procedureOf } from "../service.js";
import { observeCall } from "../stream.js";

const requestIdHeader = "x-request-id";
const acceptableId = /^[\w.:@/+=-]{1,128}$/;

/** Codes that mean the server (not the caller) has a problem: logged as warnings. */
const serverSide = new Set(["unknown", "internal", "data_loss", "unavailable", "deadline_exceeded"]);

/**
 * Outermost interceptor: takes the caller's `x-request-id` (or makes one), returns it in the
 * response headers, binds a child logger to the call, and writes one line per finished call with
 * the procedure, code and duration. Request and response bodies are never logged.
 * Calls to `quietServices` (health probes) log at debug.
 */
export function requestLogInterceptor(
  logger: Logger,
  newId: IdGenerator,
  quietServices: ReadonlySet<string>,
): Interceptor {
  return (next) => async (req) => {
    const given = req.header.get(requestIdHeader);
    const requestId = given !== null && acceptableId.test(given) ? given : newId();
    const procedure = procedureOf(req.method);
    const log = logger.child({ requestId, procedure });
    req.contextValues.set(requestIdKey, requestId);
    req.contextValues.set(loggerKey, log);
    const started = performance.now();
    const quiet = quietServices.has(req.service.typeName);
    const finish = (err: unknown) => {
      const durationMs = Math.round((performance.now() - started) * 1000) / 1000;
      if (err === undefined) {
        (quiet ? log.debug : log.info).call(log, { code: "ok", durationMs }, "rpc finished");
        return;
      }
      const ce = ConnectError.from(err);
      // Errors carry the request id too, so a client can quote it (errors are when it matters).
      if (err instanceof ConnectError) err.metadata.set(requestIdHeader, requestId);
      const code = codeName(ce);
      const level = serverSide.has(code) ? "warn" : quiet ? "debug" : "info";
      log[level]({ code, durationMs, error: ce.rawMessage }, "rpc failed");
    };
    const res = await observeCall(next, req, finish);
    res.header.set(requestIdHeader, requestId);
    return res;
  };
}

/** The snake_case name of a code, as Connect and Prometheus labels show it. */
export function codeName(err: ConnectError | undefined): string {
  if (err === undefined) return "ok";
  return codeNames[err.code] ?? "unknown";
}

const codeNames: Record<number, string> = {
  1: "canceled",
  2: "unknown",
  3: "invalid_argument",
  4: "deadline_exceeded",
  5: "not_found",
  6: "already_exists",
  7: "permission_denied",
  8: "resource_exhausted",
  9: "failed_precondition",
  10: "aborted",
  11: "out_of_range",
  12: "unimplemented",
  13: "internal",
  14: "unavailable",
  15: "data_loss",
  16: "unauthenticated",
};
