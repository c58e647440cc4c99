import assert from "node:assert/strict";
import { Code, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { EchoService, NotServedService } from "../../gen/boxoffice/testing/v1/echo_service_pb.js";
import { TicketService } from "../../gen/boxoffice/ticket/v1/ticket_service_pb.js";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { Health, ServingStatus } from "../../platform/health/index.js";
import { failure } from "../support/assert.js";
import { startTestProcess } from "../support/process.js";
import { grpcFrame, type RawResponse, rawRequest } from "../support/raw-http.js";

type Proc = Awaited<ReturnType<typeof startTestProcess>>;

/** Every protocol × HTTP version the one port serves (gRPC needs HTTP/2). */
const matrix: Array<{ name: string; make: (baseUrl: string) => Transport }> = [
  { name: "gRPC over h2c", make: (baseUrl) => createGrpcTransport({ baseUrl }) },
  { name: "gRPC-Web over HTTP/1.1", make: (baseUrl) => createGrpcWebTransport({ baseUrl, httpVersion: "1.1" }) },
  { name: "gRPC-Web over h2c", make: (baseUrl) => createGrpcWebTransport({ baseUrl, httpVersion: "2" }) },
  { name: "Connect JSON over HTTP/1.1", make: (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "1.1" }) },
  { name: "Connect JSON over h2c", make: (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "2" }) },
  {
    name: "Connect binary over HTTP/1.1",
    make: (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: true }),
  },
  {
    name: "Connect binary over h2c",
    make: (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: true }),
  },
];

describe("protocol matrix on the one port", () => {
  let proc: Proc;
  before(async () => {
    proc = await startTestProcess();
  });
  after(async () => {
    await proc.stop();
  });

  for (const { name, make } of matrix) {
    describe(name, () => {
      let transport: Transport;
      before(() => {
        transport = make(proc.baseUrl);
      });

      it("round-trips grpc.health.v1.Health/Check", async () => {
        const res = await createClient(Health, transport).check({});
        assert.equal(res.status, ServingStatus.SERVING);
      });

      it("round-trips the echo service, unary and server streaming", async () => {
        const echo = createClient(EchoService, transport);
        assert.equal((await echo.echo({ message: `hello ${name}` })).message, `hello ${name}`);
        const got: number[] = [];
        for await (const m of echo.echoStream({ message: "x", count: 3 })) got.push(m.index);
        assert.deepEqual(got, [0, 1, 2]);
      });

      it("answers an unknown method with UNIMPLEMENTED", async () => {
        const err = await failure(createClient(NotServedService, transport).ping({}));
        assert.equal(err.code, Code.Unimplemented);
      });

      it("answers a Boxoffice RPC's domain error with its code and ErrorInfo (an unknown event: NOT_FOUND)", async () => {
        const err = await failure(
          createClient(TicketService, transport).getAvailability({ eventId: "0190a4b2-8e8c-7d1e-9f00-123456789abc" }),
        );
        assert.equal(err.code, Code.NotFound);
        assert.equal(err.findDetails(ErrorInfoSchema)[0]?.domain, "ticket.boxoffice");
      });

      it("ends a call whose deadline passes with DEADLINE_EXCEEDED", async () => {
        const started = Date.now();
        const err = await failure(
          createClient(EchoService, transport).echo({ message: "slow", delayMs: 5_000 }, { timeoutMs: 200 }),
        );
        assert.equal(err.code, Code.DeadlineExceeded);
        assert.ok(Date.now() - started < 3_000, "the call did not wait for the handler");
      });
    });
  }

  describe("raw requests: malformed bodies and unknown paths", () => {
    // A protobuf message cut short: field 1, length 5, but one byte follows.
    const truncated = Uint8Array.of(0x0a, 0x05, 0x61);
    const echoPath = "/boxoffice.testing.v1.EchoService/Echo";
    const unknownPath = "/boxoffice.nothing.v1.NoService/Nothing";

    function grpcStatus(res: RawResponse): string | undefined {
      if (res.headers["grpc-status"] !== undefined) return res.headers["grpc-status"];
      if (res.trailers["grpc-status"] !== undefined) return res.trailers["grpc-status"];
      // gRPC-Web carries trailers in a final body frame flagged 0x80.
      for (let i = 0; i + 5 <= res.body.length; ) {
        const flag = res.body[i];
        const len = res.body.readUInt32BE(i + 1);
        const frame = res.body.subarray(i + 5, i + 5 + len);
        if (flag === 0x80) return /grpc-status:\s*(\d+)/.exec(frame.toString())?.[1];
        i += 5 + len;
      }
      return undefined;
    }

    for (const httpVersion of ["1.1", "2"] as const) {
      it(`Connect JSON over HTTP/${httpVersion}: malformed JSON → 400 invalid_argument`, async () => {
        const res = await rawRequest(proc.baseUrl, {
          httpVersion,
          path: echoPath,
          headers: { "content-type": "application/json" },
          body: "{oops",
        });
        assert.equal(res.status, 400);
        assert.equal(JSON.parse(res.body.toString()).code, "invalid_argument");
      });

      it(`Connect binary over HTTP/${httpVersion}: truncated protobuf → 400 invalid_argument`, async () => {
        const res = await rawRequest(proc.baseUrl, {
          httpVersion,
          path: echoPath,
          headers: { "content-type": "application/proto" },
          body: Buffer.from(truncated),
        });
        assert.equal(res.status, 400);
        assert.equal(JSON.parse(res.body.toString()).code, "invalid_argument");
      });

      it(`gRPC-Web over HTTP/${httpVersion}: truncated protobuf → grpc-status 3`, async () => {
        const res = await rawRequest(proc.baseUrl, {
          httpVersion,
          path: echoPath,
          headers: { "content-type": "application/grpc-web+proto" },
          body: grpcFrame(truncated),
        });
        assert.equal(res.status, 200);
        assert.equal(grpcStatus(res), String(Code.InvalidArgument));
      });

      it(`Connect over HTTP/${httpVersion}: unknown path → 404 unimplemented`, async () => {
        const res = await rawRequest(proc.baseUrl, {
          httpVersion,
          path: unknownPath,
          headers: { "content-type": "application/json" },
          body: "{}",
        });
        assert.equal(res.status, 404);
        assert.equal(JSON.parse(res.body.toString()).code, "unimplemented");
      });

      it(`gRPC-Web over HTTP/${httpVersion}: unknown path → grpc-status 12`, async () => {
        const res = await rawRequest(proc.baseUrl, {
          httpVersion,
          path: unknownPath,
          headers: { "content-type": "application/grpc-web+proto" },
          body: grpcFrame(new Uint8Array()),
        });
        assert.equal(grpcStatus(res), String(Code.Unimplemented));
      });
    }

    it("gRPC over h2c: truncated protobuf → grpc-status 3", async () => {
      const res = await rawRequest(proc.baseUrl, {
        httpVersion: "2",
        path: echoPath,
        headers: { "content-type": "application/grpc", te: "trailers" },
        body: grpcFrame(truncated),
      });
      assert.equal(res.status, 200);
      assert.equal(grpcStatus(res), String(Code.InvalidArgument));
    });

    it("gRPC over h2c: unknown path → grpc-status 12", async () => {
      const res = await rawRequest(proc.baseUrl, {
        httpVersion: "2",
        path: unknownPath,
        headers: { "content-type": "application/grpc", te: "trailers" },
        body: grpcFrame(new Uint8Array()),
      });
      assert.equal(res.status, 200);
      assert.equal(grpcStatus(res), String(Code.Unimplemented));
    });
  });
});
