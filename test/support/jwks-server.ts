import http from "node:http";
import type { AddressInfo } from "node:net";
import type { JWK } from "jose";
import { publicJwks } from "../../platform/auth/sign.js";

/** How the fake JWKS endpoint answers. */
export type JwksServerMode = "ok" | "503" | "garbage" | "hang";

/** A JWKS endpoint on 127.0.0.1 for tests; `keys` (private JWKs) may be changed at any time. */
export interface JwksServer {
  readonly url: string;
  /** Requests received so far. */
  readonly hits: number;
  keys: JWK[];
  mode: JwksServerMode;
  close(): Promise<void>;
}

/** Starts a JWKS endpoint serving `publicJwks(keys)` and counting its requests. */
export async function startJwksServer(keys: JWK[]): Promise<JwksServer> {
  let hits = 0;
  let closed: Promise<void> | undefined;
  const state = { keys, mode: "ok" as JwksServerMode };
  const server = http.createServer((_req, res) => {
    hits++;
    switch (state.mode) {
      case "hang":
        return; // never answers; the client's timeout has to end it
      case "503":
        res.writeHead(503).end();
        return;
      case "garbage":
        res.writeHead(200, { "content-type": "application/json" }).end("{not json");
        return;
      case "ok":
        res.writeHead(200, { "content-type": "application/jwk-set+json" }).end(JSON.stringify(publicJwks(state.keys)));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    get hits() {
      return hits;
    },
    get keys() {
      return state.keys;
    },
    set keys(k: JWK[]) {
      state.keys = k;
    },
    get mode() {
      return state.mode;
    },
    set mode(m: JwksServerMode) {
      state.mode = m;
    },
    close: () =>
      (closed ??= new Promise<void>((resolve, reject) => {
        server.closeAllConnections(); // fetch keeps connections alive; close() alone would wait for them
        server.close((err) => (err ? reject(err) : resolve()));
      })),
  };
}
