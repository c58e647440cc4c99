/**
 * The watchers' process (bench/support/watchers.ts starts it): opens `count` WatchAvailability
 * streams (section counts, gRPC) over `connections` HTTP/2 connections, prints {"ready": n} once
 * every stream has its snapshot, {"count": n} (messages so far) for each line "count" on its stdin,
 * and when its stdin closes ends them and prints what they received.
 *
 * The streams are raw HTTP/2 requests whose frames are counted, not decoded: on a 2-core box this
 * process shares the cores with the server it measures, and a full client per message (connect's
 * async pipeline, decoding) cost more CPU than the server's side of the same message. A message
 * counts when its whole frame is in; a stream that ends with a grpc-status other than 0 is an error.
 */
import { type ClientHttp2Stream, connect } from "node:http2";
import { TicketService } from "../../gen/boxoffice/ticket/v1/ticket_service_pb.js";
import type { WatchersOptions } from "./watchers.js";

const o = JSON.parse(process.env.BENCH_WATCH ?? "{}") as WatchersOptions;
const sessions = Array.from({ length: o.connections }, () => {
  const s = connect(o.baseUrl);
  s.on("error", () => undefined);
  return s;
});
// the request: field 1 (event_id), enveloped
const body = Buffer.from([0x0a, Buffer.byteLength(o.eventId), ...Buffer.from(o.eventId)]);
const request = Buffer.alloc(5 + body.length);
request.writeUInt32BE(body.length, 1);
body.copy(request, 5);

let stopping = false;
let messages = 0;
let errors = 0;
let ended = 0;
let ready = 0;
let firstError: string | undefined;
const announce = () => {
  if (ready === o.count) process.stdout.write(`${JSON.stringify({ ready })}\n`);
};
const fail = (why: string) => {
  errors++;
  firstError ??= why;
};

const streams: ClientHttp2Stream[] = [];
const closed = Array.from(
  { length: o.count },
  (_, i) =>
    new Promise<void>((resolve) => {
      const req = sessions[i % o.connections]!.request({
        ":method": "POST",
        ":path": `/${TicketService.typeName}/WatchAvailability`,
        "content-type": "application/grpc",
        te: "trailers",
      });
      streams.push(req);
      let first = true;
      let need = 5; // bytes until the end of the current frame's header or body
      let inHeader = true;
      let header = Buffer.alloc(0);
      req.on("data", (chunk: Buffer) => {
        let at = 0;
        while (at < chunk.length) {
          const take = Math.min(need, chunk.length - at);
          if (inHeader) header = Buffer.concat([header, chunk.subarray(at, at + take)]);
          at += take;
          need -= take;
          if (need > 0) break;
          if (inHeader) {
            need = header.readUInt32BE(1);
            header = Buffer.alloc(0);
            inHeader = false;
          }
          if (need === 0) {
            messages++;
            if (first) {
              first = false;
              ready++;
              announce();
            }
            need = 5;
            inHeader = true;
          }
        }
      });
      req.on("trailers", (t) => {
        const status = String(t["grpc-status"] ?? "");
        if (status !== "0" && !(stopping && status === "1"))
          fail(`grpc-status ${status}: ${String(t["grpc-message"])}`);
      });
      req.on("error", (e) => {
        if (!stopping) fail(e.message);
      });
      req.on("close", () => {
        if (!stopping) {
          ended++;
          if (first) {
            // count it as opened so the bench does not wait forever; the error is reported
            fail("closed before its snapshot");
            ready++;
            announce();
          }
        }
        resolve();
      });
      req.end(request);
    }),
);
// a line "count" on stdin: print how many messages came in so far
process.stdin.on("data", (d: Buffer) => {
  for (const _ of d.toString().matchAll(/count\n/g)) process.stdout.write(`${JSON.stringify({ count: messages })}\n`);
});
process.stdin.on("end", async () => {
  stopping = true;
  for (const s of streams) s.close();
  await Promise.all(closed);
  if (firstError) process.stderr.write(`watchers: ${errors} stream errors, first: ${firstError}\n`);
  process.stdout.write(`${JSON.stringify({ messages, errors, ended })}\n`);
  process.exit(0);
});
