import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";

import type { Req, Res } from "./http.js";

type Handler = (req: Req, res: Res) => void;

const preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/**
 * One TCP listener for every protocol: Node's cleartext HTTP/2 server refuses HTTP/1.1 (only TLS
 * negotiates both), so each new connection's first bytes decide: the HTTP/2 connection preface goes
 * to an http2 server (gRPC, Connect and gRPC-Web over h2c), anything else to an HTTP/1.1 server
 * (curl, browsers, Connect and gRPC-Web over HTTP/1.1). Both share one request handler.
 * No library does this sniffing for cleartext, hence our own ~100 lines.
 */
export class OnePortListener {
  readonly #tcp: net.Server;
  readonly #h1: http.Server;
  readonly #h2: http2.Http2Server;
  readonly #sessions = new Set<http2.Http2Session>();
  readonly #h1Sockets = new Set<net.Socket>();

  constructor(handler: Handler) {
    this.#h1 = http.createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, handler as http.RequestListener);
    this.#h2 = http2.createServer(
      {},
      handler as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void,
    );
    this.#h2.on("session", (s) => {
      this.#sessions.add(s);
      s.once("close", () => this.#sessions.delete(s));
    });
    // Nagle off: net.createServer leaves it on, and the http/http2 servers we hand sockets to only
    // turn it off for sockets they accept themselves (a small answer otherwise waits for an ACK).
    this.#tcp = net.createServer({ noDelay: true }, (socket) => this.#route(socket));
  }

  #route(socket: net.Socket): void {
    let seen = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      // Wait until the bytes can be told apart ("PRI" starts only the HTTP/2 preface).
      if (seen.length < 3 && preface.subarray(0, seen.length).equals(seen)) return;
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
