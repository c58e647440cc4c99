import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";

import type { Req, Res } from "./http.js";

type Handler = (req: Req, res: Res) => void;

/** How long a connection may take at each step, and how many may be open (see docs/architecture.md). */
export interface ConnectionLimits {
  /** A new connection that sends no byte in this time is closed. */
  firstByteTimeoutMs: number;
  /** HTTP/1.1: the request headers must arrive within this time. */
  headersTimeoutMs: number;
  /** HTTP/1.1: the whole request (headers and body) must arrive within this time. */
  requestTimeoutMs: number;
  /** A connection with no request in progress and no traffic for this long is closed (HTTP/1.1 keep-alive, HTTP/2 session). */
  idleTimeoutMs: number;
  /** Open connections above which new ones are refused (closed at once). */
  maxConnections: number;
}

/** Why the listener closed a connection itself (the `reason` label of boxoffice_connections_closed_total). */
export type ConnectionCloseReason = "first_byte_timeout" | "request_timeout" | "idle_timeout" | "over_capacity";

/** Receives the listener's counts (metrics). */
export interface ConnectionObserver {
  closed(reason: ConnectionCloseReason): void;
}

/** Defaults that close a silent connection within seconds and leave room for thousands of clients. */
export const defaultConnectionLimits: ConnectionLimits = {
  firstByteTimeoutMs: 10_000,
  headersTimeoutMs: 20_000,
  requestTimeoutMs: 60_000,
  idleTimeoutMs: 65_000,
  maxConnections: 10_000,
};

const preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/**
 * One TCP listener for every protocol: Node's cleartext HTTP/2 server refuses HTTP/1.1 (only TLS
 * negotiates both), so each new connection's first bytes decide: the HTTP/2 connection preface goes
 * to an http2 server (gRPC, Connect and gRPC-Web over h2c), anything else to an HTTP/1.1 server
 * (curl, browsers, Connect and gRPC-Web over HTTP/1.1). Both share one request handler.
 * No library does this sniffing for cleartext, hence our own ~100 lines.
 *
 * Slow clients are bounded by {@link ConnectionLimits}: the first byte, then (HTTP/1.1) Node's own
 * header and request timers (checked on an interval, no timer per request), then idle. An HTTP/2
 * session that stays idle with no stream open is closed; its streams are bounded by the call's
 * deadline (unary) or by the stream limits (server streams).
 */
export class OnePortListener {
  readonly #tcp: net.Server;
  readonly #h1: http.Server;
  readonly #h2: http2.Http2Server;
  readonly #sessions = new Set<http2.Http2Session>();
  readonly #h1Sockets = new Set<net.Socket>();

  readonly #limits: ConnectionLimits;
  readonly #observer: ConnectionObserver | undefined;

  constructor(handler: Handler, limits: ConnectionLimits = defaultConnectionLimits, observer?: ConnectionObserver) {
    this.#limits = limits;
    this.#observer = observer;
    const checkEvery = Math.max(
      50,
      Math.min(1000, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 4)),
    );
    this.#h1 = http.createServer(
      {
        keepAliveTimeout: limits.idleTimeoutMs,
        headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
        requestTimeout: limits.requestTimeoutMs,
        connectionsCheckingInterval: checkEvery,
      },
      handler as http.RequestListener,
    );
    // The header/request timers run on an interval Node starts when its server listens; ours never
    // does (sockets are handed to it), so start it the same way. close() stops it.
    this.#h1.emit("listening");
    this.#h1.on("clientError", (err: NodeJS.ErrnoException, socket: net.Socket) => {
      const timeout = err.code === "ERR_HTTP_REQUEST_TIMEOUT";
      if (timeout) this.#observer?.closed("request_timeout");
      if (socket.writable && !socket.destroyed) {
        socket.end(
          timeout
            ? "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n"
            : "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n",
        );
      }
      socket.destroySoon();
    });
    // keep-alive idle: Node destroys the socket itself unless someone listens; we count, then do the same
    this.#h1.on("timeout", (socket: net.Socket) => {
      this.#observer?.closed("idle_timeout");
      socket.destroy();
    });
    this.#h2 = http2.createServer(
      {},
      handler as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void,
    );
    this.#h2.on("session", (s) => this.#watchSession(s));
    // Nagle off: net.createServer leaves it on, and the http/http2 servers we hand sockets to only
    // turn it off for sockets they accept themselves (a small answer otherwise waits for an ACK).
    this.#tcp = net.createServer({ noDelay: true }, (socket) => this.#route(socket));
    this.#tcp.maxConnections = limits.maxConnections;
    this.#tcp.on("drop", () => this.#observer?.closed("over_capacity"));
  }

  /** An HTTP/2 session is idle when no stream is open and nothing moved for the idle time. */
  #watchSession(s: http2.Http2Session): void {
    this.#sessions.add(s);
    s.once("close", () => this.#sessions.delete(s));
    let open = 0;
    const ended = () => open--;
    s.on("stream", (stream: http2.Http2Stream) => {
      open++;
      stream.on("close", ended);
    });
    // The session's timer restarts on every frame; a long quiet stream is the stream limits' business.
    s.setTimeout(this.#limits.idleTimeoutMs, () => {
      if (open > 0 || s.closed) return;
      this.#observer?.closed("idle_timeout");
      s.close();
      setTimeout(() => s.destroy(), 1000).unref();
    });
  }

  #route(socket: net.Socket): void {
    let seen = Buffer.alloc(0);
    const onFirstByteTimeout = () => {
      this.#observer?.closed("first_byte_timeout");
      socket.destroy();
    };
    socket.setTimeout(this.#limits.firstByteTimeoutMs, onFirstByteTimeout);
    const onData = (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      // Wait until the bytes can be told apart ("PRI" starts only the HTTP/2 preface).
      if (seen.length < 3 && preface.subarray(0, seen.length).equals(seen)) return;
      socket.setTimeout(0);
      socket.off("timeout", onFirstByteTimeout);
      socket.off("data", onData);
      socket.off("error", onEarlyError);
      socket.pause();
      socket.unshift(seen);
      if (seen.subarray(0, 3).equals(preface.subarray(0, 3))) {
        // The HTTP/2 session drains the unshifted bytes itself, then reads the socket natively:
        // resuming the JS stream here would steal frames from it.
        this.#h2.emit("connection", socket);
      } else {
        this.#h1Sockets.add(socket);
        socket.once("close", () => this.#h1Sockets.delete(socket));
        this.#h1.emit("connection", socket);
        socket.resume();
      }
    };
    const onEarlyError = () => socket.destroy();
    socket.on("error", onEarlyError);
    socket.on("data", onData);
  }

  /** Starts listening; resolves with the bound port (useful with port 0). */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#tcp.once("error", reject);
      this.#tcp.listen(port, host, () => {
        this.#tcp.off("error", reject);
        resolve((this.#tcp.address() as net.AddressInfo).port);
      });
    });
  }

  /**
   * Stops accepting connections and closes the open ones: HTTP/2 sessions get GOAWAY, HTTP/1.1
   * connections are closed; whatever is still open after `forceAfterMs` is destroyed.
   */
  async close(forceAfterMs = 1000): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#tcp.close(() => resolve()));
    this.#h1.close(() => {}); // stops the header/request timers' interval (the server itself never listened)
    for (const s of this.#sessions) s.close();
    this.#h1.closeIdleConnections();
    for (const socket of this.#h1Sockets) socket.end();
    const force = setTimeout(() => {
      for (const s of this.#sessions) s.destroy();
      for (const socket of this.#h1Sockets) socket.destroy();
    }, forceAfterMs);
    force.unref();
    await closed;
    clearTimeout(force);
  }
}
