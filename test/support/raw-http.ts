import * as http from "node:http";
import * as http2 from "node:http2";

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  trailers: Record<string, string>;
  body: Buffer;
}

/** One request as a browser or curl would send it, over HTTP/1.1 or HTTP/2 cleartext; no RPC library in between. */
export function rawRequest(
  baseUrl: string,
  opts: {
    httpVersion: "1.1" | "2";
    path: string;
    method?: string;
    headers?: Record<string, string>;
    body?: Buffer | string;
  },
): Promise<RawResponse> {
  const body = opts.body === undefined ? undefined : Buffer.from(opts.body);
  if (opts.httpVersion === "1.1") {
    return new Promise((resolve, reject) => {
      const req = http.request(
        `${baseUrl}${opts.path}`,
        { method: opts.method ?? "POST", headers: opts.headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: flat(res.headers),
              trailers: flat(res.trailers),
              body: Buffer.concat(chunks),
            }),
          );
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  }
  return new Promise((resolve, reject) => {
    const session = http2.connect(baseUrl);
    session.on("error", reject);
    const stream = session.request({ ":method": opts.method ?? "POST", ":path": opts.path, ...opts.headers });
    let status = 0;
    let headers: Record<string, string> = {};
    let trailers: Record<string, string> = {};
    const chunks: Buffer[] = [];
    stream.on("response", (h) => {
      status = Number(h[":status"]);
      headers = flat(h);
    });
    stream.on("trailers", (t) => (trailers = flat(t)));
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => {
      session.close();
      resolve({ status, headers, trailers, body: Buffer.concat(chunks) });
    });
    stream.on("error", reject);
    stream.end(body);
  });
}

function flat(
  h: http.IncomingHttpHeaders | http2.IncomingHttpHeaders | NodeJS.Dict<string | string[]>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(", ") : String(v);
  return out;
}

/** Frames one message the gRPC / gRPC-Web way: flag byte, 4-byte big-endian length, payload. */
export function grpcFrame(payload: Uint8Array): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}
