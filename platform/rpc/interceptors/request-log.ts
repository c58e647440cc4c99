import type { DescMethod } from "@bufbuild/protobuf";
import { ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "pino";
import type { IdGenerator } from "../../ids/index.js";
import type { AccessLog } from "../../log/index.js";
import { codeNames } from "../../metrics/rpc.js";
import { type CallLogger, loggerKey, requestIdKey } from "../context.js";
import { platformAdapterKey } from "../prepared.js";
import { procedureOf } from "../service.js";
import { observeStream } from "../stream.js";

const requestIdHeader = "x-request-id";
const acceptableId = /^[\w.:@/+=-]{1,128}$/;

/** The call's request id: the caller's `x-request-id` when it is an acceptable one, else a new one. */
export function requestIdOf(header: Headers, newRequestId: IdGenerator): string {
  const given = header.get(requestIdHeader);
  return given !== null && acceptableId.test(given) ? given : newRequestId();
}

/** Codes that mean the server (not the caller) has a problem: logged as warnings. */
const serverSide = new Set(["unknown", "internal", "data_loss", "unavailable", "deadline_exceeded"]);

/**
 * Refusals by the system's state, which are normal traffic (a sold-out section at an on-sale answers
 * FAILED_PRECONDITION to most buyers; a stale etag ABORTED; a second create ALREADY_EXISTS): logged
 * like successful calls (all: every one; errors: none; sample: the same share), so an on-sale does
 * not write a line per refused hold. Metrics count them whatever the access log says.
 */
const refusals = new Set(["failed_precondition", "aborted", "already_exists"]);

const procedures = new WeakMap<DescMethod, string>();
function procedure(m: DescMethod): string {
  let p = procedures.get(m);
  if (p === undefined) procedures.set(m, (p = procedureOf(m)));
  return p;
}

/** A call's logger, made on first use: pino's child() serialises its bindings, and most calls log nothing. */
class LazyCallLogger implements CallLogger {
  #child: Logger | undefined;
  constructor(
    readonly base: Logger,
    readonly requestId: string,
    readonly method: DescMethod,
  ) {}
  get logger(): Logger {
    return (this.#child ??= this.base.child({ requestId: this.requestId, procedure: procedure(this.method) }));
  }
}

export interface RequestLogOptions {
  logger: Logger;
  /** Makes the request id of a call that brings none (cheap: see `createRequestIdGenerator`). */
  newRequestId: IdGenerator;
  /** Services whose calls log at debug (health probes, reflection). */
  quietServices: ReadonlySet<string>;
  /** Which finished calls get a line; default: all. */
  accessLog?: AccessLog;
}

/**
 * Outermost but for tracing: takes the caller's `x-request-id` (or makes one), returns it in the
 * response headers (and on errors), gives the call a logger bound to it (created only if used),
 * and writes one access-log line per finished call with the procedure, code and duration, as
 * `accessLog` says. Request and response bodies are never logged.
 */
export function requestLogInterceptor(o: RequestLogOptions): Interceptor {
  const policy = o.accessLog ?? { kind: "all" };
  const okShare = policy.kind === "all" ? 1 : policy.kind === "sample" ? policy.ratio : 0;
  const sampled = () => okShare === 1 || (okShare > 0 && Math.random() < okShare);
  return (next) => async (req) => {
    // the tracing interceptor (outside) may have taken it already, to forward it
    const requestId = req.contextValues.get(requestIdKey) || requestIdOf(req.header, o.newRequestId);
    const call = new LazyCallLogger(o.logger, requestId, req.method);
    req.contextValues.set(requestIdKey, requestId);
    req.contextValues.set(loggerKey, call);
    const started = performance.now();
    const quiet = o.quietServices.has(req.service.typeName);
    const finish = (err: unknown) => {
      if (err === undefined) {
        const level = quiet ? "debug" : "info";
        if (sampled() && o.logger.isLevelEnabled(level))
          call.logger[level]({ code: "ok", durationMs: elapsed(started) }, "rpc finished");
        return;
      }
      const ce = ConnectError.from(err);
      // Errors carry the request id too, so a client can quote it (errors are when it matters).
      if (err instanceof ConnectError) err.metadata.set(requestIdHeader, requestId);
      const code = codeNames[ce.code] ?? "unknown";
      if (refusals.has(code) && !sampled()) return;
      const level = serverSide.has(code) ? "warn" : quiet ? "debug" : "info";
      if (o.logger.isLevelEnabled(level))
        call.logger[level]({ code, durationMs: elapsed(started), error: ce.rawMessage }, "rpc failed");
    };
    let res: Awaited<ReturnType<typeof next>>;
    try {
      res = await next(req);
    } catch (e) {
      finish(e);
      throw e;
    }
    // The platform adapter writes it on unary answers as a plain header (cheaper than Headers.set).
    if (res.stream || !req.contextValues.get(platformAdapterKey)) res.header.set(requestIdHeader, requestId);
    if (!res.stream) {
      finish(undefined);
      return res;
    }
    return { ...res, message: observeStream(res.message, finish) };
  };
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 1000) / 1000;
}
