/**
 * The fallback load generator, for machines without wrk/h2load (and no root to install them):
 * keep-alive HTTP/1.1 over raw sockets with one prebuilt request, and h2c sessions with one
 * stream in flight each. Lean, but it shares the CPU and the event loop with nothing but itself
 * and still cannot drive bare node:http to its ceiling on 2 cores, so runs with it are usually
 * marked invalid. Good enough for the smoke run, which only proves the bench works.
 */
import * as http2 from "node:http2";
import * as net from "node:net";
import type { Figure, LoadOptions, Shot } from "./generators.js";

interface Tally {
  latencies: number[];
  errors: number;
}

function h1Connection(shot: Shot, until: () => boolean, measure: () => boolean, t: Tally): Promise<void> {
  const url = new URL(shot.url);
  const body = Buffer.from(shot.body ?? new Uint8Array());
  const head = [
    `${shot.method} ${url.pathname}${url.search} HTTP/1.1`,
    `host: ${url.host}`,
    ...Object.entries(shot.headers).map(([k, v]) => `${k}: ${v}`),
    ...(shot.method === "POST" ? [`content-length: ${body.length}`] : []),
    "",
    "",
  ].join("\r\n");
  const request = Buffer.concat([Buffer.from(head, "latin1"), body]);
  return new Promise((resolve) => {
    const socket = net.connect({ host: url.hostname, port: Number(url.port), noDelay: true });
    let buf: Buffer = Buffer.alloc(0);
    let started = 0;
    const send = () => {
      if (until()) {
        socket.end();
        return resolve();
      }
      started = performance.now();
      socket.write(request);
    };
    socket.on("connect", send);
    socket.on("data", (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      for (;;) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        const headText = buf.subarray(0, end).toString("latin1");
        const length = Number(/content-length: *(\d+)/i.exec(headText)?.[1] ?? 0);
        if (buf.length < end + 4 + length) return;
        const status = Number(headText.slice(9, 12));
        buf = buf.subarray(end + 4 + length);
        if (measure()) {
          if (status >= 400) t.errors++;
          else t.latencies.push(performance.now() - started);
        }
        send();
      }
    });
    socket.on("error", () => {
      t.errors++;
      resolve();
    });
  });
}

function h2Connection(shot: Shot, until: () => boolean, measure: () => boolean, t: Tally): Promise<void> {
  const url = new URL(shot.url);
  return new Promise((resolve) => {
    const session = http2.connect(url.origin);
    session.on("error", () => {
      t.errors++;
      resolve();
    });
    const one = () => {
      if (until()) {
        session.close();
        return resolve();
      }
      const started = performance.now();
      const req = session.request({
        ":method": shot.method,
        ":path": `${url.pathname}${url.search}`,
        ...shot.headers,
      });
      let status = 0;
      req.on("response", (h) => (status = Number(h[":status"])));
      req.on("data", () => undefined);
      req.on("end", () => {
        if (measure()) {
          if (status >= 400) t.errors++;
          else t.latencies.push(performance.now() - started);
        }
        one();
      });
      req.on("error", () => {
        if (measure()) t.errors++;
        one();
      });
      req.end(shot.body ? Buffer.from(shot.body) : undefined);
    };
    one();
  });
}

/** Closed-loop load from this process: `connections` connections, one request in flight on each. */
export async function nodeLoad(shot: Shot, o: LoadOptions): Promise<Figure> {
  const t: Tally = { latencies: [], errors: 0 };
  const start = performance.now();
  const measureFrom = start + o.warmupSeconds * 1000;
  const end = measureFrom + o.seconds * 1000;
  const until = () => performance.now() >= end;
  const measure = () => performance.now() >= measureFrom;
  const conn = shot.protocol === "h1" ? h1Connection : h2Connection;
  await Promise.all(Array.from({ length: o.connections }, () => conn(shot, until, measure, t)));
  const elapsed = (performance.now() - measureFrom) / 1000;
  t.latencies.sort((a, b) => a - b);
  const pct = (p: number) => t.latencies[Math.min(t.latencies.length - 1, Math.floor(p * t.latencies.length))] ?? 0;
  return {
    rps: t.latencies.length / elapsed,
    p50Ms: pct(0.5),
    p99Ms: pct(0.99),
    requests: t.latencies.length,
    errors: t.errors,
    generator: "node",
  };
}
