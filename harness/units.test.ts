// Harness logic that needs no real database: port-race retry, error text, package installation.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBinaries, resetAptStateForTests } from "./install.js";
import { launch, type ServerSpec } from "./process.js";

const log = () => {};

/** A stand-in server: node listening on the port, or failing like a lost bind race. */
function fakeSpec(
  dataDir: string,
  behaviour: (attempt: number) => "bind-race" | "listen" | "hang",
): ServerSpec & { ports: number[] } {
  const ports: number[] = [];
  return {
    ports,
    kind: "redis",
    dataDir,
    binary: process.execPath,
    logFile: join(dataDir, "fake.log"),
    pidFile: join(dataDir, "fake.pid"),
    args(port) {
      ports.push(port);
      const b = behaviour(ports.length);
      if (b === "bind-race")
        return ["-e", "console.error('listen EADDRINUSE: address already in use'); process.exit(1)"];
      if (b === "hang") return ["-e", "console.error('starting slowly'); setInterval(() => {}, 1000)"];
      return ["-e", `require("net").createServer().listen(${port}, "127.0.0.1")`];
    },
    url: (port) => `redis://127.0.0.1:${port}`,
    probe: (port, _pid, signal) =>
      new Promise((resolve, reject) => {
        const s = createConnection({ host: "127.0.0.1", port });
        signal.addEventListener("abort", () => s.destroy());
        s.once("connect", () => {
          s.destroy();
          resolve();
        });
        s.once("error", reject);
      }),
    readyTimeoutMs: 5000,
    log,
  };
}

describe("harness internals", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "boxoffice-harness-unit-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("retries on a new port when the bind lost a race", async () => {
    const spec = fakeSpec(dir, (n) => (n === 1 ? "bind-race" : "listen"));
    const server = await launch(spec);
    try {
      assert.equal(spec.ports.length, 2);
      assert.notEqual(spec.ports[0], spec.ports[1]);
      assert.equal(server.port, spec.ports[1]);
    } finally {
      await server.stop();
    }
    assert.equal(server.pid, undefined);
  });

  it("does not retry a port the caller chose", async () => {
    const spec = fakeSpec(dir, () => "bind-race");
    await assert.rejects(launch(spec, 1), /redis on 127\.0\.0\.1:1 exited with code 1[\s\S]*address already in use/);
    assert.equal(spec.ports.length, 1);
  });

  it("a timeout kills the process and quotes the log", async () => {
    const spec = { ...fakeSpec(dir, () => "hang"), readyTimeoutMs: 500 };
    const t0 = Date.now();
    await assert.rejects(
      launch(spec),
      /was not ready within 500 ms \(last check: .*ECONNREFUSED[\s\S]*starting slowly/,
    );
    assert.ok(Date.now() - t0 < 3000);
  });

  describe("missing binaries", () => {
    beforeEach(resetAptStateForTests);

    it("not root: names the Debian packages to install", async () => {
      await assert.rejects(
        ensureBinaries(["mariadb", "redis", "nats"], { log, searchPath: [], getuid: () => 1000 }),
        /apt-get install .*mariadb-server redis-server nats-server/,
      );
    });

    it("root: apt-get update once, then one install for all missing packages", async () => {
      const calls: string[] = [];
      const runner = async (cmd: string, args: readonly string[]) => {
        calls.push([cmd, ...args].join(" "));
        return 0;
      };
      // the fake install installs nothing, so the second lookup still fails, which is reported
      await assert.rejects(
        ensureBinaries(["mariadb", "nats"], { log, searchPath: [], getuid: () => 0, runner }),
        /still not found/,
      );
      await assert.rejects(
        ensureBinaries(["redis"], { log, searchPath: [], getuid: () => 0, runner }),
        /still not found/,
      );
      assert.deepEqual(calls, [
        "apt-get update",
        "apt-get install -y --no-install-recommends mariadb-server nats-server",
        "apt-get install -y --no-install-recommends redis-server",
      ]);
    });

    it("finds the real executables on this machine", async () => {
      const found = await ensureBinaries(["mariadb", "redis", "nats"], { log, getuid: () => 1000 });
      assert.deepEqual(Object.keys(found).sort(), ["mariadb-install-db", "mariadbd", "nats-server", "redis-server"]);
    });
  });
});
