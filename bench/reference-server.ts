/**
 * The ceilings `make bench` measures beside the platform, each in a process of its own (as the
 * platform is), started by bench/references.ts with its configuration in BENCH_REFERENCE:
 *
 * - `bare`: node:http and node:http2 answering fixed bytes per path — the same bytes the platform
 *   sends for that RPC (Connect/JSON over HTTP/1.1; gRPC framing and trailers over h2c). Nothing
 *   is parsed; the request body is read and dropped. What the runtime itself costs.
 * - `minimal`: connect-node with no interceptors (`connectNodeAdapter` on http.createServer and
 *   http2.createServer): Health/Check, and GetEvent answering one fixed event (encoded per call,
 *   as the library does). What the RPC library costs.
 *
 * Prints one line `{"h1":port,"h2":port}` when both listeners are up.
 */
import * as http from "node:http";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { fromJsonString } from "@bufbuild/protobuf";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { EventService, GetEventResponseSchema } from "../gen/boxoffice/event/v1/event_service_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "../gen/grpc/health/v1/health_pb.js";

/** What BENCH_REFERENCE holds. */
export interface ReferenceConfig {
  kind: "bare" | "minimal";
  /** bare: the body per path, base64, as Connect/JSON (HTTP/1.1) and as a gRPC message (h2c). */
  routes?: Record<string, { json: string; grpc: string }>;
  /** minimal: the GetEventResponse to answer, as JSON. */
  eventJson?: string;
}

function bare(
  cfg: ReferenceConfig,
): [http.RequestListener, (s: http2.ServerHttp2Stream, h: http2.IncomingHttpHeaders) => void] {
  const routes = new Map(
    Object.entries(cfg.routes ?? {}).map(([path, r]) => {
      const msg = Buffer.from(r.grpc, "base64");
      const framed = Buffer.alloc(5 + msg.length);
      framed.writeUInt32BE(msg.length, 1);
      msg.copy(framed, 5);
      return [path, { json: Buffer.from(r.json, "base64"), grpc: framed }];
    }),
  );
  const h1: http.RequestListener = (req, res) => {
    const r = routes.get(req.url ?? "");
    req.on("data", () => undefined);
    req.on("end", () => {
      if (r === undefined) {
        res.writeHead(404, { "content-length": 0 });
        res.end();
        return;
      }
      res.writeHead(200, { "content-type": "application/json", "content-length": r.json.length });
      res.end(r.json);
    });
  };
  const h2 = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
    const r = routes.get(String(headers[":path"]));
    stream.on("data", () => undefined);
    stream.on("end", () => {
      if (r === undefined) {
        stream.respond({ ":status": 404 }, { endStream: true });
        return;
      }
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(r.grpc);
    });
    stream.on("error", () => undefined);
  };
  return [h1, h2];
}

function minimal(cfg: ReferenceConfig) {
  const answer = fromJsonString(GetEventResponseSchema, cfg.eventJson ?? "{}");
  return connectNodeAdapter({
    routes: (router) => {
      router.service(Health, { check: () => ({ status: HealthCheckResponse_ServingStatus.SERVING }) });
      router.service(EventService, { getEvent: () => answer });
    },
  });
}

function listen(server: http.Server | http2.Http2Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
}

const cfg = JSON.parse(process.env.BENCH_REFERENCE ?? "{}") as ReferenceConfig;
let h1Server: http.Server;
let h2Server: http2.Http2Server;
if (cfg.kind === "bare") {
  const [h1, h2] = bare(cfg);
  h1Server = http.createServer({ keepAliveTimeout: 65_000 }, h1);
  h2Server = http2.createServer();
  h2Server.on("stream", h2);
} else {
  const handler = minimal(cfg);
  h1Server = http.createServer({ keepAliveTimeout: 65_000 }, handler);
  h2Server = http2.createServer(handler);
}
// http.createServer turns Nagle off on its own sockets; http2.createServer does not.
h2Server.on("connection", (s: import("node:net").Socket) => s.setNoDelay(true));
const ports = { h1: await listen(h1Server), h2: await listen(h2Server) };
process.stdout.write(`${JSON.stringify(ports)}\n`);
process.on("SIGTERM", () => process.exit(0));
