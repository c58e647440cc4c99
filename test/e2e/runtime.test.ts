import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { modules } from "../../cmd/modules.js";
import { EchoRequestSchema, EchoService } from "../../gen/boxoffice/testing/v1/echo_service_pb.js";
import { RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { startNats } from "../../harness/index.js";
import { sleep } from "../../platform/clock/index.js";
import { Health, ServingStatus } from "../../platform/health/index.js";
import { access } from "../../platform/rpc/access.js";
import { defineService, MissingAccessError, type ServiceRegistration } from "../../platform/rpc/service.js";
import { failure } from "../support/assert.js";
import { echoInFlight } from "../support/echo.js";
import { startTestProcess } from "../support/process.js";
import { grpcFrame, rawRequest } from "../support/raw-http.js";

/** The trailers of a gRPC-Web answer: the frame flagged 0x80 at the end of the body. */
function grpcWebTrailer(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  for (let at = 0; at + 5 <= body.length; ) {
    const len = body.readUInt32BE(at + 1);
    if ((body[at]! & 0x80) !== 0) {
      for (const line of body
        .subarray(at + 5, at + 5 + len)
        .toString()
        .split("\r\n")) {
        const i = line.indexOf(":");
        if (i > 0) out[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
    }
    at += 5 + len;
  }
  return out;
}

describe("runtime behaviour on the one port", () => {
  it("refuses to start when an RPC has no access declaration", async () => {
    const undeclared = defineService(EchoService, { echo: access.public() } as never, {
      echo: (r) => ({ message: r.message }),
      async *echoStream() {},
    }) as ServiceRegistration;
    await assert.rejects(startTestProcess({ echo: false, extraServices: [undeclared] }), (e: unknown) => {
      assert.ok(e instanceof MissingAccessError);
      assert.match(e.message, /EchoService\/EchoStream/);
      return true;
    });
  });

  describe("with small limits", () => {
    let proc: Awaited<ReturnType<typeof startTestProcess>>;
    before(async () => {
      proc = await startTestProcess({
        env: {
          // echo is a normal-tier RPC: refused from 80 % of the bound, i.e. with 2 in progress
          BOXOFFICE_MAX_INFLIGHT: "3",
          BOXOFFICE_DEFAULT_DEADLINE_MS: "300",
          BOXOFFICE_MAX_DEADLINE_MS: "60000",
          BOXOFFICE_CORS_ORIGINS: "https://shop.example",
        },
      });
    });
    after(() => proc.stop());

    it("sheds load past the in-flight bound with RESOURCE_EXHAUSTED and RetryInfo, but never health", async () => {
      const transport = createGrpcTransport({ baseUrl: proc.baseUrl });
      const echo = createClient(EchoService, transport);
      const slow = [echo.echo({ message: "a", delayMs: 250 }), echo.echo({ message: "b", delayMs: 250 })];
      await sleep(50);
      const shed = await failure(echo.echo({ message: "c" }));
      assert.equal(shed.code, Code.ResourceExhausted);
      assert.ok(shed.findDetails(RetryInfoSchema).length === 1, "RetryInfo attached");
      assert.equal((await createClient(Health, transport).check({})).status, ServingStatus.SERVING);
      await Promise.all(slow);
      assert.equal((await echo.echo({ message: "d" })).message, "d");
      const metrics = await (await fetch(`${proc.adminUrl}/metrics`)).text();
      assert.match(
        metrics,
        /^rpc_server_shed_total\{reason="overloaded",tier="normal"\} 1$/m,
        "the shed call is counted",
      );
    });

    it("gives calls without a deadline the default one, and refuses deadlines above the maximum", async () => {
      const echo = createClient(EchoService, createConnectTransport({ baseUrl: proc.baseUrl, httpVersion: "1.1" }));
      const started = Date.now();
      const err = await failure(echo.echo({ message: "x", delayMs: 5_000 }));
      assert.equal(err.code, Code.DeadlineExceeded);
      assert.ok(Date.now() - started < 2_000);
      const tooLong = await failure(echo.echo({ message: "x" }, { timeoutMs: 120_000 }));
      assert.equal(tooLong.code, Code.InvalidArgument);
    });

    it("applies the deadline of the call's own protocol: a foreign timeout header does not lift the default", async () => {
      const req = Buffer.from(toBinary(EchoRequestSchema, create(EchoRequestSchema, { message: "x", delayMs: 5_000 })));
      const path = "/boxoffice.testing.v1.EchoService/Echo";
      // gRPC ignores connect-timeout-ms: before, its presence skipped the default deadline
      for (const type of ["application/grpc", "application/grpc-web+proto"]) {
        const started = Date.now();
        const res = await rawRequest(proc.baseUrl, {
          httpVersion: "2",
          path,
          headers: { "content-type": type, te: "trailers", "connect-timeout-ms": "60000" },
          body: grpcFrame(req),
        });
        const trailer = type === "application/grpc" ? { ...res.headers, ...res.trailers } : grpcWebTrailer(res.body);
        assert.equal(trailer["grpc-status"], String(Code.DeadlineExceeded), `${type}: ${JSON.stringify(trailer)}`);
        assert.ok(Date.now() - started < 2_000, `${type} answered after ${Date.now() - started} ms`);
      }
      // and Connect ignores grpc-timeout
      const started = Date.now();
      const res = await rawRequest(proc.baseUrl, {
        httpVersion: "1.1",
        path,
        headers: { "content-type": "application/json", "grpc-timeout": "60S" },
        body: JSON.stringify({ message: "x", delayMs: 5_000 }),
      });
      assert.equal(JSON.parse(res.body.toString()).code, "deadline_exceeded");
      assert.ok(Date.now() - started < 2_000);
    });

    it("answers CORS preflights for allowed origins only, and exposes the gRPC-Web headers", async () => {
      const preflight = (origin: string) =>
        rawRequest(proc.baseUrl, {
          httpVersion: "1.1",
          method: "OPTIONS",
          path: "/boxoffice.testing.v1.EchoService/Echo",
          headers: {
            origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type,connect-protocol-version",
          },
        });
      const ok = await preflight("https://shop.example");
      assert.equal(ok.status, 204);
      assert.equal(ok.headers["access-control-allow-origin"], "https://shop.example");
      assert.match(ok.headers["access-control-allow-headers"] ?? "", /Connect-Protocol-Version/i);
      assert.match(ok.headers["access-control-allow-headers"] ?? "", /Authorization/i);
      const denied = await preflight("https://evil.example");
      assert.equal(denied.headers["access-control-allow-origin"], undefined);

      const call = await rawRequest(proc.baseUrl, {
        httpVersion: "1.1",
        path: "/boxoffice.testing.v1.EchoService/Echo",
        headers: { origin: "https://shop.example", "content-type": "application/json", "x-request-id": "req-123" },
        body: '{"message":"hi"}',
      });
      assert.equal(call.status, 200);
      assert.equal(call.headers["access-control-allow-origin"], "https://shop.example");
      assert.match(call.headers["access-control-expose-headers"] ?? "", /Grpc-Status/i);
      assert.equal(call.headers["x-request-id"], "req-123");
    });

    it("echoes the request id on errors too, so a caller can quote it", async () => {
      const res = await rawRequest(proc.baseUrl, {
        httpVersion: "1.1",
        path: "/boxoffice.ticket.v1.TicketService/GetAvailability",
        headers: { "content-type": "application/json", "x-request-id": "err-42" },
        body: JSON.stringify({ eventId: "0190a4b2-8e8c-7d1e-9f00-123456789abc" }),
      });
      assert.equal(res.status, 404, "an unknown event: NOT_FOUND");
      assert.equal(res.headers["x-request-id"], "err-42");
    });

    it("counts RPCs by service, method and code on /metrics, and serves /healthz and /readyz", async () => {
      const echo = createClient(EchoService, createConnectTransport({ baseUrl: proc.baseUrl, httpVersion: "1.1" }));
      await echo.echo({ message: "counted" });
      const metrics = await (await fetch(`${proc.adminUrl}/metrics`)).text();
      const ok =
        /rpc_server_handled_total\{service="boxoffice\.testing\.v1\.EchoService",method="Echo",code="ok"\} (\d+)/.exec(
          metrics,
        );
      assert.ok(ok && Number(ok[1]) >= 1, "ok calls counted");
      assert.match(
        metrics,
        /rpc_server_handled_total\{service="boxoffice\.testing\.v1\.EchoService",method="Echo",code="deadline_exceeded"\} \d+/,
      );
      assert.match(
        metrics,
        /rpc_server_handling_seconds_bucket\{le="0\.005",service="boxoffice\.testing\.v1\.EchoService",method="Echo",code="ok"\}/,
      );
      assert.equal((await fetch(`${proc.adminUrl}/healthz`)).status, 200);
      assert.equal((await fetch(`${proc.adminUrl}/readyz`)).status, 200);
    });
  });

  it("turns a handler's bug into INTERNAL without leaking its message", async () => {
    const buggy = defineService(
      EchoService,
      { echo: access.public(), echoStream: access.public() },
      {
        echo: () => {
          throw new TypeError("secret internals: cannot read properties of undefined");
        },
        async *echoStream() {},
      },
    );
    const proc = await startTestProcess({ echo: false, extraServices: [buggy] });
    try {
      const err = await failure(createClient(EchoService, createGrpcTransport({ baseUrl: proc.baseUrl })).echo({}));
      assert.equal(err.code, Code.Internal);
      assert.doesNotMatch(err.rawMessage, /secret internals/);
    } finally {
      await proc.stop();
    }
  });

  it("reports not ready on /readyz while draining", async () => {
    const proc = await startTestProcess();
    const echo = createClient(EchoService, createGrpcTransport({ baseUrl: proc.baseUrl }));
    // in progress before the stop, and long enough to ask /readyz while it drains on a busy machine
    const slow = echo.echo({ message: "x", delayMs: 2_000 });
    await echoInFlight(proc.adminUrl);
    const stopping = proc.stop();
    const ready = await fetch(`${proc.adminUrl}/readyz`);
    assert.equal(ready.status, 503);
    assert.equal((await fetch(`${proc.adminUrl}/healthz`)).status, 200, "alive while draining");
    await slow;
    assert.deepEqual(await stopping, { clean: true });
  });
});

describe("shutdown with the broker down (own NATS)", function () {
  this.timeout(30_000);
  it("still stops within seconds: the relay flush and the NATS drain give up instead of waiting", async () => {
    const dir = mkdtempSync(join(tmpdir(), "boxoffice-stop-nats-"));
    const nats = await startNats({ dataDir: dir });
    try {
      const proc = await startTestProcess({
        echo: false,
        modules: [modules.auth],
        env: { BOXOFFICE_NATS_URL: nats.url },
      });
      await nats.stop();
      const started = Date.now();
      await proc.stop();
      assert.ok(Date.now() - started < 8_000, `stopped in ${Date.now() - started} ms`);
    } finally {
      await nats.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
