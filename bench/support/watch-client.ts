/**
 * The watchers' process (bench/support/watchers.ts starts it): opens `count` WatchAvailability
 * streams (section counts) over `connections` HTTP/2 connections, prints {"ready": n} once every
 * stream has its snapshot, and when its stdin closes ends them and prints what they received.
 */
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { TicketService } from "../../gen/boxoffice/ticket/v1/ticket_service_pb.js";
import type { WatchersOptions } from "./watchers.js";

const o = JSON.parse(process.env.BENCH_WATCH ?? "{}") as WatchersOptions;
const clients = Array.from({ length: o.connections }, () =>
  createClient(TicketService, createGrpcTransport({ baseUrl: o.baseUrl })),
);
const stop = new AbortController();
let messages = 0;
let errors = 0;
let ended = 0;
let ready = 0;
let firstError: string | undefined;
const announce = () => {
  if (ready === o.count) process.stdout.write(`${JSON.stringify({ ready })}\n`);
};
const streams = Array.from({ length: o.count }, async (_, i) => {
  let first = true;
  try {
    for await (const _m of clients[i % o.connections]!.watchAvailability(
      { eventId: o.eventId },
      { signal: stop.signal, timeoutMs: 0 },
    )) {
      messages++;
      if (first) {
        first = false;
        ready++;
        announce();
      }
    }
    if (!stop.signal.aborted) ended++;
  } catch (e) {
    if (stop.signal.aborted && ConnectError.from(e).code === Code.Canceled) return;
    errors++;
    firstError ??= ConnectError.from(e).message;
    if (first) {
      // count it as opened so the bench does not wait forever; the error is reported
      ready++;
      announce();
    }
  }
});
process.stdin.resume();
process.stdin.on("end", async () => {
  stop.abort();
  await Promise.allSettled(streams);
  if (firstError) process.stderr.write(`watchers: ${errors} stream errors, first: ${firstError}\n`);
  process.stdout.write(`${JSON.stringify({ messages, errors, ended })}\n`);
  process.exit(0);
});
