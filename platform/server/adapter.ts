import type * as http from "node:http";
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
 * - a Connect unary POST body (no compression, with a content-length) is read into one buffer, not
 *   through an async iterator, and the URL is concatenated, not parsed;
 * - the request signal fires only when the client goes away (connect-node aborts it after every
 *   call, and an abort without a reason makes a DOMException with a stack trace);
 * - a unary answer is written with one `end()` (headers and body in one write);
 * - a prepared answer (platform/rpc/prepared.ts) replaces the body of a Connect JSON answer, and a
 *   Connect GET gets its ETag, `Cache-Control: private, no-cache`, and 304 on If-None-Match.
 *
 * Streams and everything else are written by connect-node's own `universalResponseToNodeResponse`.
 */
export function createRpcAdapter(opts: RpcAdapterOptions): (req: Req, res: Res) => void {
  opts.acceptCompression ??= [compressionGzip, compressionBrotli];
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

  return (req, res) => {
    const url = req.url ?? "";
    const q = url.indexOf("?");
    const h = paths.get(q < 0 ? url : url.slice(0, q));
    if (h === undefined) return opts.fallback(req, res);
    const unary = h.method.methodKind === "unary";
    const values = new CallValues(req, lazy).set(platformAdapterKey, true);
    const controller = new AbortController();
    res.once("close", () => {
      if (!res.writableEnded) controller.abort(clientGone);
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
    const length = Number(req.headers["content-length"]);
    const plainUnaryPost =
      unary &&
      req.method === "POST" &&
      (type === "application/json" || type === "application/proto") &&
      req.headers["content-encoding"] === undefined &&
      length <= readMax;
    const body = plainUnaryPost ? readBody(req) : undefined;
    const run = body === undefined ? h(uReq) : body.then((b) => h({ ...uReq, body: b }));
    run
      .then((uRes) => (unary ? writeUnary(req, res, uRes, values) : universalResponseToNodeResponse(uRes, res)))
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

/**
 * The whole body of a small request, as the chunks that arrived, served back as a plain async
 * iterable (Connect still checks the length against content-length and readMaxBytes).
 */
function readBody(req: Req): Promise<AsyncIterable<Uint8Array>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.once("end", () => {
      let i = 0;
      const it: AsyncIterator<Uint8Array> = {
        next: () =>
          Promise.resolve(i < chunks.length ? { done: false, value: chunks[i++]! } : { done: true, value: undefined }),
      };
      resolve({ [Symbol.asyncIterator]: () => it });
    });
    // the client went away mid-body: nothing to answer (Aborted is not reported as a failure)
    req.once("error", (e) =>
      reject(new ConnectError("request body interrupted", Code.Aborted, undefined, undefined, e)),
    );
  });
}

/** Writes a unary answer in one `end()`, after substituting a prepared answer where one applies. */
async function writeUnary(req: Req, res: Res, u: UniversalServerResponse, values: ContextValues): Promise<void> {
  const chunks: Uint8Array[] = [];
  if (u.body !== undefined) for await (const c of u.body) chunks.push(c);
  let body: Uint8Array = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  let status = u.status;
  const headers = toNodeHeaders(u.header);
  // the request id of unary calls is written here, as a plain header (see the request-log interceptor)
  const requestId = values.get(requestIdKey);
  if (requestId !== "") headers["x-request-id"] = requestId;
  const prepared = values.get(preparedKey);
  if (prepared !== undefined && status === 200) {
    if (headers["content-type"] === "application/json") {
      body = prepared.json();
      headers["content-length"] = String(body.byteLength);
    }
    if (req.method === "GET") {
      headers.etag = prepared.etag;
      headers["cache-control"] = "private, no-cache";
      if (matches(req.headers["if-none-match"], prepared.etag)) {
        status = 304;
        body = new Uint8Array();
        delete headers["content-length"];
        delete headers["content-type"];
      }
    }
  }
  const r = res as unknown as http.ServerResponse;
  r.writeHead(status, headers);
  if (u.trailer !== undefined) r.addTrailers(toNodeHeaders(u.trailer));
  r.end(body);
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
