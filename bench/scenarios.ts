/**
 * The request-path scenarios of `make bench`: the same request shapes against the bare node:http
 * server, the minimal connect-node server and the platform, over HTTP/1.1 (Connect/JSON, wrk) and
 * h2c (gRPC, h2load).
 */
import type { Shot } from "./generators.js";
import { type BenchData, getEventPath, healthPath } from "./setup.js";

export type ServerKind = "bare" | "minimal" | "ours";

export interface Scenario {
  /** Stable key, e.g. `h1.ours.empty`. */
  key: string;
  protocol: "h1" | "h2";
  server: ServerKind;
  label: string;
  shot: Shot;
  /** For the platform: the RPC whose non-ok codes (from /metrics) count as errors. */
  rpc?: { service: string; method: string };
}

export interface Urls {
  bare: { h1: string; h2: string };
  minimal: { h1: string; h2: string };
  ours: string;
}

/** A gRPC message frame: flag byte, big-endian length, message. */
export function grpcFrame(message: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

const health = { service: "grpc.health.v1.Health", method: "Check" };
const getEvent = { service: "boxoffice.event.v1.EventService", method: "GetEvent" };

/**
 * Every scenario, in the order they run (each round runs them all): the minimal server's empty RPC
 * right before ours, so each ratio compares figures taken seconds apart.
 */
export function scenarios(u: Urls, d: BenchData, etag: string | undefined): Scenario[] {
  const bearer = { authorization: `Bearer ${d.userToken}` };
  const json = { "content-type": "application/json" };
  const grpc = { "content-type": "application/grpc", te: "trailers" };
  const emptyJson = Buffer.from(d.requests.healthJson);
  const eventJson = Buffer.from(d.requests.getEventJson);
  const emptyGrpc = grpcFrame(new Uint8Array());
  const eventGrpc = grpcFrame(d.requests.getEventBinary);
  const h1 = (url: string, path: string, headers: Record<string, string>, body: Uint8Array): Shot => ({
    protocol: "h1",
    url: `${url}${path}`,
    method: "POST",
    headers: { ...json, ...headers },
    body,
  });
  const h2 = (url: string, path: string, headers: Record<string, string>, body: Uint8Array): Shot => ({
    protocol: "h2",
    url: `${url}${path}`,
    method: "POST",
    headers: { ...grpc, ...headers },
    body,
  });
  const get = `${getEventPath}?connect=v1&encoding=json&message=${encodeURIComponent(d.requests.getEventJson)}`;
  const list: Scenario[] = [
    {
      key: "h1.bare",
      protocol: "h1",
      server: "bare",
      label: "bare node:http, GetEvent's bytes",
      shot: h1(u.bare.h1, getEventPath, {}, eventJson),
    },
    {
      key: "h1.minimal.empty",
      protocol: "h1",
      server: "minimal",
      label: "minimal connect-node, Health/Check",
      shot: h1(u.minimal.h1, healthPath, {}, emptyJson),
    },
    {
      key: "h1.ours.empty",
      protocol: "h1",
      server: "ours",
      label: "ours: empty RPC (Health/Check + bearer token)",
      shot: h1(u.ours, healthPath, bearer, emptyJson),
      rpc: health,
    },
    {
      key: "h1.ours.event",
      protocol: "h1",
      server: "ours",
      label: "ours: GetEvent warm (POST)",
      shot: h1(u.ours, getEventPath, {}, eventJson),
      rpc: getEvent,
    },
    {
      key: "h1.minimal.event",
      protocol: "h1",
      server: "minimal",
      label: "minimal connect-node, GetEvent (encoded per call)",
      shot: h1(u.minimal.h1, getEventPath, {}, eventJson),
    },
    {
      key: "h2.bare",
      protocol: "h2",
      server: "bare",
      label: "bare node:http2, GetEvent's bytes",
      shot: h2(u.bare.h2, getEventPath, {}, eventGrpc),
    },
    {
      key: "h2.minimal.empty",
      protocol: "h2",
      server: "minimal",
      label: "minimal connect-node, Health/Check",
      shot: h2(u.minimal.h2, healthPath, {}, emptyGrpc),
    },
    {
      key: "h2.ours.empty",
      protocol: "h2",
      server: "ours",
      label: "ours: empty RPC (Health/Check + bearer token)",
      shot: h2(u.ours, healthPath, bearer, emptyGrpc),
      rpc: health,
    },
    {
      key: "h2.ours.event",
      protocol: "h2",
      server: "ours",
      label: "ours: GetEvent warm",
      shot: h2(u.ours, getEventPath, {}, eventGrpc),
      rpc: getEvent,
    },
    {
      key: "h2.minimal.event",
      protocol: "h2",
      server: "minimal",
      label: "minimal connect-node, GetEvent (encoded per call)",
      shot: h2(u.minimal.h2, getEventPath, {}, eventGrpc),
    },
  ];
  // what the bearer token costs (informative: the target is the empty RPC with a token)
  list.splice(list.findIndex((x) => x.key === "h1.ours.empty") + 1, 0, {
    key: "h1.ours.anonymous",
    protocol: "h1",
    server: "ours",
    label: "ours: Health/Check without a token",
    shot: h1(u.ours, healthPath, {}, emptyJson),
    rpc: health,
  });
  if (etag !== undefined) {
    list.splice(list.findIndex((x) => x.key === "h1.minimal.event") + 1, 0, {
      key: "h1.ours.revalidate",
      protocol: "h1",
      server: "ours",
      label: "ours: GetEvent Connect GET, If-None-Match → 304",
      shot: { protocol: "h1", url: `${u.ours}${get}`, method: "GET", headers: { "if-none-match": etag } },
      rpc: getEvent,
    });
  }
  return list;
}
