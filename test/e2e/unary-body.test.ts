import assert from "node:assert/strict";
import * as http2 from "node:http2";
import * as net from "node:net";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { EchoService } from "../../gen/boxoffice/testing/v1/echo_service_pb.js";
import { sleep } from "../../platform/clock/index.js";
import { startTestProcess } from "../support/process.js";

const path = "/boxoffice.testing.v1.EchoService/Echo";

/**
 * An HTTP/1.1 request written by hand: the headers and the first `first` bytes of a body of
 * `length`, then `chunk` bytes every `everyMs` until the body is complete or the server answers or
 * closes. Resolves with the answer's status line and body, when it came, and when the socket closed.
 */
function h1Upload(o: {
  port: number;
  headers: Record<string, string>;
  length: number;
  first: number;
  chunk: number;
  everyMs: number;
}): Promise<{ status: number; body: string; answeredMs: number; closedMs: number; sent: number }> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const socket = net.connect(o.port, "127.0.0.1");
    let sent = 0;
    let answer = "";
    let answeredMs = Number.POSITIVE_INFINITY;
    let timer: NodeJS.Timeout | undefined;
    const send = (n: number) => {
      const k = Math.min(n, o.length - sent);
      if (k <= 0 || socket.destroyed) return;
      socket.write(Buffer.alloc(k, 0x20)); // spaces: a JSON body that is all whitespace so far
      sent += k;
    };
    socket.on("error", () => {});
    socket.once("connect", () => {
      const head = Object.entries({ ...o.headers, "content-length": String(o.length) })
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join("");
      socket.write(`POST ${path} HTTP/1.1\r\nhost: x\r\n${head}\r\n`);
      send(o.first);
      timer = setInterval(() => send(o.chunk), o.everyMs);
    });
    socket.on("data", (d: Buffer) => {
      if (answer === "") answeredMs = Date.now() - t0;
      answer += d.toString("latin1");
    });
    socket.once("close", () => {
      clearInterval(timer);
      const m = /^HTTP\/1\.1 (\d{3})/.exec(answer);
      if (m === null) return reject(new Error(`no answer (sent ${sent} bytes): ${JSON.stringify(answer)}`));
      resolve({
        status: Number(m[1]),
        body: answer.slice(answer.indexOf("\r\n\r\n") + 4),
        answeredMs,
        closedMs: Date.now() - t0,
        sent,
      });
    });
    // a server that never answers would keep this open: the assertions then fail instead of hanging
    setTimeout(() => socket.destroy(), 15_000);
  });
}

/** The same over HTTP/2: a gRPC call (one envelope of `length` bytes) or a Connect call, trickled. */
function h2Upload(o: {
  baseUrl: string;
  protocol: "grpc" | "connect";
  length: number;
  chunk: number;
  everyMs: number;
}): Promise<{ status: string | undefined; answeredMs: number; closedMs: number; sent: number; rst: number }> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const session = http2.connect(o.baseUrl);
    session.on("error", () => {});
    const grpc = o.protocol === "grpc";
    const stream = session.request({
      ":method": "POST",
      ":path": path,
      ...(grpc
        ? { "content-type": "application/grpc+proto", te: "trailers", "grpc-timeout": "1000m" }
        : { "content-type": "application/json", "connect-timeout-ms": "1000", "content-length": String(o.length) }),
    });
    let sent = 0;
    let status: string | undefined;
    let answeredMs = Number.POSITIVE_INFINITY;
    if (grpc) {
      const prefix = Buffer.alloc(5);
      prefix.writeUInt32BE(o.length, 1);
      stream.write(prefix);
    }
    const fill = grpc ? 0x61 : 0x20;
    const timer = setInterval(() => {
      const k = Math.min(o.chunk, o.length - sent);
      if (k <= 0 || stream.destroyed || stream.writableEnded) return;
      stream.write(Buffer.alloc(k, fill));
      sent += k;
    }, o.everyMs);
    stream.on("response", (h) => {
      answeredMs = Date.now() - t0;
      status = grpc ? (h["grpc-status"] as string | undefined) : String(h[":status"]);
    });
    stream.on("trailers", (t) => {
      if (grpc) status = t["grpc-status"] as string | undefined;
    });
    stream.on("error", () => {});
    stream.resume();
    stream.once("close", () => {
      clearInterval(timer);
      const rst = stream.rstCode;
      session.close();
      if (answeredMs === Number.POSITIVE_INFINITY) return reject(new Error(`no answer (sent ${sent} bytes)`));
      resolve({ status, answeredMs, closedMs: Date.now() - t0, sent, rst });
    });
    setTimeout(() => stream.close(http2.constants.NGHTTP2_CANCEL), 15_000);
  });
}

/**
 * Admission and the deadline apply while a unary body arrives, not after it: a call refused by
 * load shedding is answered without its body being read, and a body that arrives slower than the
 * deadline ends with DEADLINE_EXCEEDED at the deadline, the rest of it unread.
 */
describe("unary request bodies under admission and the deadline", function () {
  this.timeout(60_000);
  let proc: Awaited<ReturnType<typeof startTestProcess>>;
  let port: number;
  before(async () => {
    // one call at a time: a second one is shed
    proc = await startTestProcess({ env: { BOXOFFICE_MAX_INFLIGHT: "1" } });
    port = Number(new URL(proc.baseUrl).port);
  });
  after(() => proc.stop());

  it("sheds a 4 MiB upload at its first bytes: answered RESOURCE_EXHAUSTED before the rest is sent, the connection closed", async () => {
    const echo = createClient(EchoService, createConnectTransport({ baseUrl: proc.baseUrl, httpVersion: "1.1" }));
    const busy = echo.echo({ message: "hold the only slot", delayMs: 3_000 });
    await sleep(300);
    const r = await h1Upload({
      port,
      headers: { "content-type": "application/json" },
      length: 4 * 1024 * 1024,
      first: 64 * 1024,
      chunk: 64 * 1024,
      everyMs: 200,
    });
    await busy;
    assert.equal(r.status, 429, r.body);
    assert.match(r.body, /"code":"resource_exhausted"/);
    assert.ok(r.answeredMs < 1_000, `answered after ${r.answeredMs} ms`);
    // at most a few chunks went out before the answer: the body was not waited for
    assert.ok(r.sent <= 5 * 64 * 1024, `${r.sent} bytes sent before the answer`);
    assert.ok(r.closedMs < 2_000, `connection closed after ${r.closedMs} ms (the rest of the body is not read)`);
    // the refusal is counted like any other call
    const metrics = await (await fetch(`${proc.adminUrl}/metrics`)).text();
    assert.match(metrics, /rpc_server_handled_total\{[^}]*method="Echo"[^}]*code="resource_exhausted"[^}]*\} [1-9]/);
  });

  it("ends a 1 MiB Connect upload trickled past its 1 s deadline with DEADLINE_EXCEEDED at the deadline", async () => {
    const r = await h1Upload({
      port,
      headers: { "content-type": "application/json", "connect-timeout-ms": "1000" },
      length: 1024 * 1024,
      first: 1,
      chunk: 64 * 1024,
      everyMs: 250, // 16 chunks: 4 s
    });
    assert.match(r.body, /"code":"deadline_exceeded"/, r.body);
    assert.ok(r.answeredMs >= 900 && r.answeredMs < 2_000, `answered after ${r.answeredMs} ms`);
    assert.ok(r.sent < 1024 * 1024, `the whole body was sent (${r.sent} bytes) before the answer`);
    assert.ok(r.closedMs < 2_500, `connection closed after ${r.closedMs} ms`);
  });

  for (const protocol of ["grpc", "connect"] as const)
    it(`ends a 1 MiB ${protocol} upload over HTTP/2 trickled past its 1 s deadline with DEADLINE_EXCEEDED at the deadline, the stream reset`, async () => {
      const r = await h2Upload({
        baseUrl: proc.baseUrl,
        protocol,
        length: 1024 * 1024,
        chunk: 64 * 1024,
        everyMs: 250,
      });
      // gRPC: grpc-status 4; Connect: HTTP 504 (deadline_exceeded)
      assert.equal(r.status, protocol === "grpc" ? "4" : "504");
      assert.ok(r.answeredMs >= 900 && r.answeredMs < 2_000, `answered after ${r.answeredMs} ms`);
      assert.ok(r.closedMs < 2_500, `stream closed after ${r.closedMs} ms (sent ${r.sent} bytes)`);
      assert.equal(r.rst, http2.constants.NGHTTP2_NO_ERROR, "the server reset the stream with NO_ERROR");
      assert.ok(r.sent < 1024 * 1024, `the whole body was sent (${r.sent} bytes)`);
    });

  it("counts the calls cut off at the deadline in rpc_server_handled_total (no interceptor saw them)", async () => {
    const metrics = await (await fetch(`${proc.adminUrl}/metrics`)).text();
    const m = metrics.match(/rpc_server_handled_total\{[^}]*method="Echo"[^}]*code="deadline_exceeded"[^}]*\} (\d+)/);
    assert.ok(m !== null && Number(m[1]) >= 3, `deadline_exceeded Echo calls counted: ${m?.[1]}`);
  });

  it("still serves ordinary unary calls over both HTTP versions", async () => {
    const h1 = createClient(EchoService, createConnectTransport({ baseUrl: proc.baseUrl, httpVersion: "1.1" }));
    const h2 = createClient(EchoService, createConnectTransport({ baseUrl: proc.baseUrl, httpVersion: "2" }));
    const big = "x".repeat(200_000);
    assert.equal((await h1.echo({ message: big })).message.length, big.length);
    assert.equal((await h2.echo({ message: big })).message.length, big.length);
    assert.equal((await h1.echo({ message: "a" })).message, "a");
  });
});
