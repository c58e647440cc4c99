import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Code, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { EchoService } from "../../gen/boxoffice/testing/v1/echo_service_pb.js";
import { Health, ServingStatus } from "../../platform/health/index.js";
import { failure } from "../support/assert.js";
import { echoInFlight } from "../support/echo.js";

const serverScript = fileURLToPath(new URL("../support/echo-server.ts", import.meta.url));

interface Child {
  proc: ChildProcess;
  baseUrl: string;
  adminUrl: string;
  exited: Promise<{ code: number | null; at: number }>;
}

async function startChild(env: Record<string, string>): Promise<Child> {
  const proc = spawn(process.execPath, ["--import", "tsx", serverScript], {
    env: { ...process.env, BOXOFFICE_LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = once(proc, "exit").then(([code]) => ({ code: code as number | null, at: Date.now() }));
  const lines = createInterface({ input: proc.stdout! });
  const ready = new Promise<string>((resolve) =>
    lines.on("line", (l) => l.startsWith("READY ") && resolve(l.slice(6))),
  );
  const line = await Promise.race([ready, exited.then(() => assert.fail("server exited before serving"))]);
  const { port, adminPort } = JSON.parse(line) as { port: number; adminPort: number };
  return { proc, baseUrl: `http://127.0.0.1:${port}`, adminUrl: `http://127.0.0.1:${adminPort}`, exited };
}

describe("graceful drain on SIGTERM (a real child process)", function () {
  // a tsx child process takes 5–25 s to serve on a busy machine; the bounds that matter are asserted
  this.timeout(60_000);
  let child: Child | undefined;
  afterEach(() => {
    if (child && child.proc.exitCode === null) child.proc.kill("SIGKILL");
    child = undefined;
  });

  it("finishes the call in flight, turns health NOT_SERVING at once, refuses new calls, exits 0 within the grace period", async () => {
    const graceMs = 8_000;
    child = await startChild({ BOXOFFICE_SHUTDOWN_GRACE_MS: String(graceMs) });
    const transport = createGrpcTransport({ baseUrl: child.baseUrl });
    const echo = createClient(EchoService, transport);
    const health = createClient(Health, transport);

    // A watcher sees the status change and its stream ends cleanly.
    const watched: ServingStatus[] = [];
    const watching = (async () => {
      for await (const r of health.watch({ service: "" })) watched.push(r.status);
    })();

    const slow = echo.echo({ message: "in flight", delayMs: 1_500 });
    await echoInFlight(child.adminUrl);
    const sentAt = Date.now();
    child.proc.kill("SIGTERM");

    // Health flips at once (poll briefly: the signal is delivered asynchronously).
    let status = ServingStatus.SERVING;
    while (status === ServingStatus.SERVING && Date.now() - sentAt < 1_000) {
      status = (await health.check({})).status;
    }
    assert.equal(status, ServingStatus.NOT_SERVING);
    assert.ok(Date.now() - sentAt < 1_000, "health turned NOT_SERVING within a second");

    const refused = await failure(echo.echo({ message: "too late" }));
    assert.equal(refused.code, Code.Unavailable);

    assert.equal((await slow).message, "in flight");
    await watching;
    assert.deepEqual(watched, [ServingStatus.SERVING, ServingStatus.NOT_SERVING]);

    const { code, at } = await child.exited;
    assert.equal(code, 0);
    assert.ok(at - sentAt < graceMs, `exited ${at - sentAt} ms after SIGTERM, within the ${graceMs} ms grace period`);
  });

  it("cancels calls still running when the grace period ends, and still exits", async () => {
    const graceMs = 500;
    child = await startChild({ BOXOFFICE_SHUTDOWN_GRACE_MS: String(graceMs) });
    const echo = createClient(EchoService, createGrpcTransport({ baseUrl: child.baseUrl }));
    const stuck = failure(echo.echo({ message: "too slow", delayMs: 20_000 }));
    await echoInFlight(child.adminUrl);
    const sentAt = Date.now();
    child.proc.kill("SIGTERM");
    const err = await stuck;
    assert.equal(err.code, Code.Unavailable);
    const { code, at } = await child.exited;
    assert.equal(code, 1, "an unclean drain exits non-zero");
    assert.ok(at - sentAt < graceMs + 3_000);
  });
});
