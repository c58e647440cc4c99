import type * as http from "node:http";
import * as http2 from "node:http2";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  type ConnectRouterOptions,
  type ContextKey,
  type ContextValues,
  createConnectRouter,
} from "@connectrpc/connect";
import type { UniversalHandler, UniversalServerRequest, UniversalServerResponse } from "@connectrpc/connect/protocol";
import { compressionBrotli, compressionGzip, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import type { Logger } from "pino";
import { requestIdKey } from "../rpc/context.js";
import { platformAdapterKey, preparedKey } from "../rpc/prepared.js";
import { type StreamResponse, streamResponseKey } from "../rpc/shared-stream.js";
import type { Req, Res } from "./http.js";

export interface RpcAdapterOptions extends ConnectRouterOptions {
  routes(router: ConnectRouter): void;
  /** Answers paths that match no RPC. */
  fallback(req: Req, res: Res): void;
  /**
   * Context values computed from the request only when a handler or interceptor asks for them
   * (the client address: a getter on an HTTP/2 socket proxy, needed by the login throttle only).
   */
  lazyValues?: readonly LazyValue[];
  /** Deadline of unary calls that bring none; must not exceed `maxTimeoutMs`. */
  defaultDeadlineMs: number;
  logger: Logger;
}

/** Why a call's signal fires when the client goes away before the answer. */
const clientGone = new ConnectError("the client closed the request", Code.Canceled);
const authorityChars = /^[\w.:[\]-]+$/;

/**
 * Our connectNodeAdapter: the same router and protocols, with less work per call —
 *
 * - the default deadline of a unary call that brings none is written into its headers, so Connect's
 *   own per-call timer is the deadline (no second controller, composite signal and timer);
 * - a unary request body is read only once Connect asks for it — after the request gate, so a call
 *   that admission refuses is answered without its body being read — into one buffer, not through
 *   an async iterator, and the read is bound to the call's signal: a body still arriving when the
 *   deadline passes ends the call with DEADLINE_EXCEEDED at the deadline, and the rest of it is
 *   not read (the HTTP/1.1 connection closes after the answer; the HTTP/2 stream is reset with
 *   NO_ERROR); the URL is concatenated, not parsed;
 * - the request signal fires only when the client goes away (connect-node aborts it after every
 *   call, and an abort without a reason makes a DOMException with a stack trace);
 * - a unary answer is written with one `end()` (headers and body in one write);
 * - a prepared answer (platform/rpc/prepared.ts) replaces the body of a Connect JSON answer, and a
 *   Connect GET gets its ETag, `Cache-Control: private, no-cache`, and 304 on If-None-Match.
 *
 * Streams and everything else are written by connect-node's own `universalResponseToNodeResponse`;
 * a server-streaming handler may write shared message frames between its messages itself
 * (platform/rpc/shared-stream.ts).
 */
export function createRpcAdapter(opts: RpcAdapterOptions): (req: Req, res: Res, closed?: () => void) => void {
  opts.acceptCompression ??= [compressionGzip, compressionBrotli];
  // Connect runs the request gate with the call's context before it reads the body: the body
  // reader learns the call's signal (deadline, client gone, shutdown) there
  const gate = opts.requestGate;
  opts.requestGate = (ctx) => {
    if (ctx.values instanceof CallValues) ctx.values.signal = ctx.signal;
    return gate?.(ctx);
  };
  const router = createConnectRouter(opts);
  opts.routes(router);
  const paths = new Map<string, UniversalHandler>(router.handlers.map((h) => [h.requestPath, h]));
  const defaultMs = String(opts.defaultDeadlineMs);
  const readMax = opts.readMaxBytes ?? 0xffffffff;
  const lazy = new Map((opts.lazyValues ?? []).map((v) => [v.key.id, v.make]));

  const fail = (h: UniversalHandler, reason: unknown) => {
    if (ConnectError.from(reason).code === Code.Aborted) return;
    opts.logger.error({ err: reason }, `handler for rpc ${h.method.name} of ${h.service.typeName} failed`);
  };

  return (req, res, closed) => {
    const url = req.url ?? "";
    const q = url.indexOf("?");
    const h = paths.get(q < 0 ? url : url.slice(0, q));
    if (h === undefined) {
      if (closed !== undefined) res.once("close", closed);
      return opts.fallback(req, res);
    }
    const unary = h.method.methodKind === "unary";
    const values = new CallValues(req, lazy).set(platformAdapterKey, true);
    // a live feed writes the frames it shares with other streams itself (platform/rpc/shared-stream.ts)
    if (h.method.methodKind === "server_streaming") values.set(streamResponseKey, res as unknown as StreamResponse);
    const controller = new AbortController();
    res.once("close", () => {
      if (!res.writableEnded) controller.abort(clientGone);
      closed?.();
    });
    const type = req.headers["content-type"];
    let deadline: [string, string] | undefined;
    if (unary) {
      const grpc = type?.startsWith("application/grpc") === true;
      // only the header the call's own protocol reads counts (gRPC ignores connect-timeout-ms and
      // Connect ignores grpc-timeout): a foreign one must not lift the default (runtime.test.ts)
      const name = grpc ? "grpc-timeout" : "connect-timeout-ms";
      if (!(name in req.headers)) deadline = [name, grpc ? `${defaultMs}m` : defaultMs];
    }
    // A real Headers: Connect's copy of it for the call takes undici's fast path (no second
    // conversion), which measured faster than handing Connect an iterable of Node's headers.
    const header = new Headers();
    const raw = req.rawHeaders;
    for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i]![0] !== ":") header.append(raw[i]!, raw[i + 1]!);
    if (deadline !== undefined) header.append(deadline[0], deadline[1]);
    const host = ("authority" in req ? req.authority : req.headers.host) ?? "";
    const uReq: UniversalServerRequest = {
      httpVersion: req.httpVersion,
      url: `http://${authorityChars.test(host) ? host : "localhost"}${url}`,
      method: req.method ?? "",
      header,
      body: req,
      signal: controller.signal,
      contextValues: values,
    };
    let body: UnaryBody | undefined;
    if (unary && req.method === "POST") uReq.body = body = new UnaryBody(req, values, readMax);
    h(uReq)
      .then((uRes) => (unary ? writeUnary(req, res, uRes, values, body) : universalResponseToNodeResponse(uRes, res)))
      .catch((reason: unknown) => fail(h, reason));
  };
}

/** A context value made from the request on first use. */
export interface LazyValue<T = unknown> {
  key: ContextKey<T>;
  make(req: Req): T;
}

/** A lazy value of `key`, typed. */
export function lazyValue<T>(key: ContextKey<T>, make: (req: Req) => T): LazyValue {
  return { key, make } as LazyValue;
}

/**
 * A call's context values, stored like connect-es's own (`createContextValues`), plus values
 * made from the request on first use.
 */
class CallValues implements ContextValues {
  [id: symbol]: unknown;
  /** The call's signal, set by the request gate (see createRpcAdapter). */
  signal: AbortSignal | undefined;
  constructor(
    private readonly req: Req,
    private readonly lazy: ReadonlyMap<symbol, (req: Req) => unknown>,
  ) {}

  get<T>(key: ContextKey<T>): T {
    if (key.id in this) return this[key.id] as T;
    const make = this.lazy.get(key.id);
    if (make === undefined) return key.defaultValue;
    const v = make(this.req) as T;
    this[key.id] = v;
    return v;
  }

  set<T>(key: ContextKey<T>, value: T): this {
    this[key.id] = value;
    return this;
  }

  delete(key: ContextKey<unknown>): this {
    delete this[key.id];
    return this;
  }
}

/** Bytes a unary body may hold beyond readMaxBytes: the gRPC / gRPC-Web envelope prefix. */
const ENVELOPE = 5;

/**
 * A unary request's body, read when Connect first asks for it (after the request gate) and
 * served back as one async iterable of the chunks that arrived (Connect still checks the length
 * against content-length and readMaxBytes). The read is bound to the call's signal: when the
 * deadline passes (or the client goes away, or the server shuts down) the read fails with the
 * signal's reason at once and the rest of the body is left unread (writeUnary then ends the
 * connection or stream instead of waiting for it).
 */
class UnaryBody implements AsyncIterable<Uint8Array> {
  #read: Promise<Buffer[]> | undefined;

  constructor(
    private readonly req: Req,
    private readonly values: CallValues,
    private readonly readMax: number,
  ) {}

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    let chunks: Buffer[] | undefined;
    let i = 0;
    return {
      next: async () => {
        chunks ??= await (this.#read ??= this.#readAll());
        return i < chunks.length ? { done: false, value: chunks[i++]! } : { done: true, value: undefined };
      },
    };
  }

  #readAll(): Promise<Buffer[]> {
    const { req, readMax } = this;
    const signal = this.values.signal;
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      const stop = (e: unknown) => {
        detach();
        req.pause();
        reject(e);
      };
      const onData = (c: Buffer) => {
        bytes += c.length;
        chunks.push(c);
        // a body without a content-length (chunked, or HTTP/2) is bounded here, not after it is all in memory
        if (bytes > readMax + ENVELOPE)
          stop(new ConnectError(`message is larger than configured readMaxBytes ${readMax}`, Code.ResourceExhausted));
      };
      const onEnd = () => {
        detach();
        resolve(chunks);
      };
      // the client went away mid-body: nothing to answer (Aborted is not reported as a failure)
      const onError = (e: unknown) =>
        stop(new ConnectError("request body interrupted", Code.Aborted, undefined, undefined, e));
      const onAbort = () => stop(signal?.reason);
      const detach = () => {
        req.off("data", onData);
        req.off("end", onEnd);
        req.off("error", onError);
        signal?.removeEventListener("abort", onAbort);
      };
      if (signal?.aborted) return stop(signal.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      req.on("data", onData);
      req.once("end", onEnd);
      req.once("error", onError);
    });
  }
}

/** Writes a unary answer in one `end()`, after substituting a prepared answer where one applies. */
async function writeUnary(
  req: Req,
  res: Res,
  u: UniversalServerResponse,
  values: ContextValues,
  body: UnaryBody | undefined,
): Promise<void> {
  const chunks: Uint8Array[] = [];
  if (u.body !== undefined) for await (const c of u.body) chunks.push(c);
  let bytes: Uint8Array = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  let status = u.status;
  const headers = toNodeHeaders(u.header);
  // the request id of unary calls is written here, as a plain header (see the request-log interceptor)
  const requestId = values.get(requestIdKey);
  if (requestId !== "") headers["x-request-id"] = requestId;
  const prepared = values.get(preparedKey);
  if (prepared !== undefined && status === 200) {
    if (headers["content-type"] === "application/json") {
      bytes = prepared.json();
      headers["content-length"] = String(bytes.byteLength);
    }
    if (req.method === "GET") {
      headers.etag = prepared.etag;
      headers["cache-control"] = "private, no-cache";
      if (matches(req.headers["if-none-match"], prepared.etag)) {
        status = 304;
        bytes = new Uint8Array();
        delete headers["content-length"];
        delete headers["content-type"];
      }
    }
  }
  // the call ended before its body was all in (refused before it was read, or cut off at the
  // deadline): nobody waits for, or reads, the rest of it
  const cut = body !== undefined && !req.complete;
  if (cut && !("stream" in req)) headers.connection = "close";
  const r = res as unknown as http.ServerResponse;
  if (cut && "stream" in req) {
    // RST_STREAM(NO_ERROR) once the answer and its trailers are out (RFC 9113 §8.1: the answer is
    // complete, stop sending). The compatibility layer sends the trailers from its own
    // wantTrailers listener, which runs before this one.
    const stream = req.stream;
    stream.once("wantTrailers", () => setImmediate(() => stream.close(http2.constants.NGHTTP2_NO_ERROR)));
  }
  r.writeHead(status, headers);
  if (u.trailer !== undefined) r.addTrailers(toNodeHeaders(u.trailer));
  r.end(bytes);
}

function toNodeHeaders(h: Headers | undefined): Record<string, string> {
  const o: Record<string, string> = Object.create(null);
  h?.forEach((v, k) => {
    o[k] = v;
  });
  return o;
}

/** If-None-Match (RFC 9110 §13.1.2): `*`, or a list of tags compared weakly. */
function matches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === "*") return true;
  return header.split(",").some((t) => t.trim().replace(/^W\//, "") === etag);
}
