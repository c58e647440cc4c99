import assert from "node:assert/strict";
import * as net from "node:net";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { EchoService } from "../../gen/boxoffice/testing/v1/echo_service_pb.js";
import { sleep } from "../../platform/clock/index.js";
import { startTestProcess } from "../support/process.js";

/** Opens a TCP connection to the port; resolves once connected, with the time it closes. */
function connect(port: number): Promise<{ socket: net.Socket; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    const closed = new Promise<number>((r) => socket.once("close", () => r(Date.now())));
    socket.on("error", () => {});
    // read whatever comes (a 408, an answer): a socket whose data nobody reads never sees the end
    socket.resume();
    socket.once("connect", () => resolve({ socket, closed }));
    socket.once("error", reject);
  });
}

/** The time `closed` resolves with, or Infinity after `ms` (the assertion then fails instead of hanging). */
function within(closed: Promise<number>, ms: number): Promise<number> {
  return Promise.race([closed, sleep(ms).then(() => Number.POSITIVE_INFINITY)]);
}

async function metric(adminUrl: string, reason: string): Promise<number> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const m = text.match(new RegExp(`boxoffice_connections_closed_total\\{[^}]*reason="${reason}"[^}]*\\} (\\d+)`));
  return m === null ? 0 : Number(m[1]);
}

describe("slow clients on the one port", function () {
  this.timeout(60_000);
  let proc: Awaited<ReturnType<typeof startTestProcess>>;
  let port: number;
  before(async () => {
    proc = await startTestProcess({
      env: {
        BOXOFFICE_FIRST_BYTE_TIMEOUT_MS: "1500",
        BOXOFFICE_HEADERS_TIMEOUT_MS: "1500",
        BOXOFFICE_REQUEST_TIMEOUT_MS: "2500",
        BOXOFFICE_IDLE_TIMEOUT_MS: "1500",
      },
    });
    port = Number(new URL(proc.baseUrl).port);
  });
  after(() => proc.stop());

  it("closes 500 silent sockets and 50 slow uploads in time while a normal client gets answers", async () => {
    const started = Date.now();
    const idle = await Promise.all(Array.from({ length: 500 }, () => connect(port)));
    const slow = await Promise.all(Array.from({ length: 50 }, () => connect(port)));
    const path = "/boxoffice.testing.v1.EchoService/Echo";
    for (const { socket } of slow) {
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`,
      );
    }
    const drip = setInterval(() => {
      for (const { socket } of slow) if (!socket.destroyed) socket.write(" ");
    }, 200);
    try {
      const h1 = createClient(EchoService, createConnectTransport({ baseUrl: proc.baseUrl, httpVersion: "1.1" }));
      const h2 = createClient(EchoService, createGrpcTransport({ baseUrl: proc.baseUrl }));
      for (let i = 0; i < 10; i++) {
        assert.equal((await h1.echo({ message: `h1-${i}` })).message, `h1-${i}`);
        assert.equal((await h2.echo({ message: `h2-${i}` })).message, `h2-${i}`);
        await sleep(100);
      }
      const idleClosed = await Promise.all(idle.map((c) => c.closed));
      const lastIdle = Math.max(...idleClosed) - started;
      assert.ok(lastIdle < 1500 + 2000, `silent sockets closed after ${lastIdle} ms`);
      const slowClosed = await Promise.all(slow.map((c) => c.closed));
      const lastSlow = Math.max(...slowClosed) - started;
      assert.ok(lastSlow < 2500 + 2500, `slow uploads closed after ${lastSlow} ms`);
    } finally {
      clearInterval(drip);
    }
    assert.ok((await metric(proc.adminUrl, "first_byte_timeout")) >= 500);
    assert.ok((await metric(proc.adminUrl, "request_timeout")) >= 50);
  });

  it("closes a keep-alive HTTP/1.1 connection and an HTTP/2 session once idle", async () => {
    const { socket, closed } = await connect(port);
    socket.write("GET /healthz-missing HTTP/1.1\r\nHost: x\r\n\r\n");
    const t0 = Date.now();
    const at = await within(closed, 6000);
    assert.ok(at - t0 < 1500 + 1500, `idle HTTP/1.1 closed after ${at - t0} ms`);
    const http2 = await import("node:http2");
    const session = http2.connect(proc.baseUrl);
    const sessionClosed = new Promise<number>((r) => session.once("close", () => r(Date.now())));
    session.on("error", () => {});
    const t1 = Date.now();
    const end = await within(sessionClosed, 6000);
    assert.ok(end - t1 < 1500 + 2000, `idle HTTP/2 session closed after ${end - t1} ms`);
    assert.ok((await metric(proc.adminUrl, "idle_timeout")) >= 2);
  });
});
