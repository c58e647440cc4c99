import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { pino } from "pino";
import { EchoService } from "../../gen/boxoffice/testing/v1/echo_service_pb.js";
import { access } from "../../platform/rpc/access.js";
import { loggerKey } from "../../platform/rpc/context.js";
import { FailedPreconditionError, NotFoundError } from "../../platform/rpc/errors.js";
import { defineService } from "../../platform/rpc/service.js";
import { failure } from "../support/assert.js";
import { startTestProcess } from "../support/process.js";

/** Echo that fails for "fail", refuses (sold out) for "refuse", logs through the call's logger for "log", and sleeps past any deadline for "hang". */
const echo = defineService(
  EchoService,
  { echo: access.public(), echoStream: access.public() },
  {
    async echo(req, ctx) {
      if (req.message === "fail") throw new NotFoundError("thing", "t-1");
      if (req.message === "refuse") throw new FailedPreconditionError("SOLD_OUT", "nothing left");
      if (req.message === "log") ctx.values.get(loggerKey)?.logger.info("inside the handler");
      // ignores its signal on purpose: the deadline must still answer the caller
      if (req.message === "hang") await new Promise((r) => setTimeout(r, 1500));
      return { message: req.message };
    },
    async *echoStream() {},
  },
);

type Line = Record<string, unknown>;

async function processWith(accessLog: string) {
  const lines: Line[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split("\n")) if (l !== "") lines.push(JSON.parse(l) as Line);
      done();
    },
  });
  const proc = await startTestProcess({
    modules: [],
    echo: false,
    extraServices: [echo],
    logger: pino({ level: "info" }, sink),
    env: { BOXOFFICE_ACCESS_LOG: accessLog, BOXOFFICE_DEFAULT_DEADLINE_MS: "300" },
  });
  return {
    proc,
    lines,
    client: createClient(EchoService, createConnectTransport({ baseUrl: proc.baseUrl, httpVersion: "1.1" })),
  };
}

const finished = (lines: Line[]) => lines.filter((l) => l.msg === "rpc finished");
const failed = (lines: Line[]) => lines.filter((l) => l.msg === "rpc failed");

describe("access log and call logger", function () {
  this.timeout(30_000);

  it("errors-only (production's default): no line for a successful call or a refusal, one per failure, every call counted", async () => {
    const { proc, lines, client } = await processWith("errors");
    try {
      for (let i = 0; i < 3; i++) await client.echo({ message: "ok" });
      for (let i = 0; i < 2; i++)
        assert.equal((await failure(client.echo({ message: "refuse" }))).code, Code.FailedPrecondition);
      const err = await failure(client.echo({ message: "fail" }));
      assert.equal(err.code, Code.NotFound);
      assert.equal(finished(lines).length, 0);
      const [line, ...more] = failed(lines);
      assert.equal(more.length, 0);
      assert.equal(line?.code, "not_found");
      assert.equal(line?.procedure, "/boxoffice.testing.v1.EchoService/Echo");
      assert.equal(line?.requestId, err.metadata.get("x-request-id"), "the line carries the id the caller got");
      const metrics = await (await fetch(`${proc.adminUrl}/metrics`)).text();
      assert.match(
        metrics,
        /rpc_server_handled_total\{service="boxoffice\.testing\.v1\.EchoService",method="Echo",code="ok"\} 3\b/,
      );
      assert.match(metrics, /rpc_server_handled_total\{[^}]*method="Echo",code="not_found"\} 1\b/);
      assert.match(metrics, /rpc_server_handled_total\{[^}]*method="Echo",code="failed_precondition"\} 2\b/);
    } finally {
      await proc.stop();
    }
  });

  it("all (development's default): one line per call; a handler's own line carries the request id", async () => {
    const { proc, lines, client } = await processWith("all");
    try {
      await client.echo({ message: "ok" }, { headers: { "x-request-id": "given-1" } });
      await client.echo({ message: "log" }, { headers: { "x-request-id": "given-2" } });
      await failure(client.echo({ message: "refuse" }, { headers: { "x-request-id": "given-3" } }));
      assert.deepEqual(
        finished(lines).map((l) => [l.requestId, l.code]),
        [
          ["given-1", "ok"],
          ["given-2", "ok"],
        ],
      );
      assert.deepEqual(
        failed(lines).map((l) => [l.requestId, l.code]),
        [["given-3", "failed_precondition"]],
        "in development a refusal has its line",
      );
      const inside = lines.find((l) => l.msg === "inside the handler");
      assert.equal(inside?.requestId, "given-2");
      assert.equal(inside?.procedure, "/boxoffice.testing.v1.EchoService/Echo");
    } finally {
      await proc.stop();
    }
  });

  it("sample:0 logs failures only; the default deadline still answers a handler that ignores its signal (gRPC)", async () => {
    const { proc, lines, client } = await processWith("sample:0");
    try {
      await client.echo({ message: "ok" });
      const grpc = createClient(EchoService, createGrpcTransport({ baseUrl: proc.baseUrl }));
      const started = Date.now();
      const err = await failure(grpc.echo({ message: "hang" }));
      assert.equal(err.code, Code.DeadlineExceeded);
      assert.ok(Date.now() - started < 1200, "answered at the deadline, not when the handler returned");
      assert.equal(finished(lines).length, 0);
      assert.deepEqual(
        failed(lines).map((l) => [l.code, l.level]),
        [["deadline_exceeded", 40]], // pino: 40 is warn (the server, not the caller, missed)
      );
      assert.ok(err instanceof ConnectError);
    } finally {
      await proc.stop();
    }
  });
});
