import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { createServer, type Server, connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect as natsConnect } from "@nats-io/transport-node";
import { Redis } from "ioredis";
import { createConnection } from "mysql2/promise";
import { createTransport } from "nodemailer";
import { sleep } from "../platform/clock/index.js";
import {
  type EmbeddedServer,
  listMail,
  startInfra,
  startMariaDb,
  startNats,
  startRedis,
  startSmtpSink,
} from "./index.js";

// HARNESS_VERBOSE=1 shows the harness's progress lines (and so its start-up times)
const log = process.env.HARNESS_VERBOSE ? (l: string) => void process.stderr.write(`[harness] ${l}\n`) : () => {};
const tmp = () => mkdtempSync(join(tmpdir(), "boxoffice-harness-"));

async function sql(url: string, query: string, params: unknown[] = []): Promise<unknown[]> {
  const conn = await createConnection(url);
  try {
    const [rows] = await conn.query(query, params);
    return rows as unknown[];
  } finally {
    await conn.end();
  }
}

async function redisSetGet(url: string): Promise<string | null> {
  const r = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
  try {
    await r.connect();
    await r.set("harness:k", "v1");
    return await r.get("harness:k");
  } finally {
    r.disconnect();
  }
}

async function streamMessages(url: string, name: string, publish: boolean): Promise<number> {
  const nc = await natsConnect({ servers: url, reconnect: false });
  try {
    const jsm = await jetstreamManager(nc);
    if (publish) {
      await jsm.streams.add({ name, subjects: [`${name}.>`] });
      await jetstream(nc).publish(`${name}.a`, "hello");
    }
    return (await jsm.streams.info(name)).state.messages;
  } finally {
    await nc.close();
  }
}

function refuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect({ host: "127.0.0.1", port });
    s.once("connect", () => {
      s.destroy();
      resolve(false);
    });
    s.once("error", (e: NodeJS.ErrnoException) => resolve(e.code === "ECONNREFUSED"));
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** pids whose command line mentions `dir` (what a leaked server would look like) */
const processesUsing = (dir: string) =>
  readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, "utf8").includes(dir);
      } catch {
        return false;
      }
    });

describe("harness", () => {
  const dirs: string[] = [];
  const servers: EmbeddedServer[] = [];
  const dir = () => {
    const d = tmp();
    dirs.push(d);
    return d;
  };
  afterEach(async () => {
    await Promise.allSettled(servers.splice(0).map((s) => s.stop()));
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("starts all four into a temp dir, and stop() frees the ports and removes the dir", async () => {
    const dataDir = join(dir(), "infra");
    const infra = await startInfra({ dataDir, env: {}, log });
    assert.equal(infra.started.length, 4);
    assert.match(infra.mariadbUrl, /^mysql:\/\/root@127\.0\.0\.1:\d+$/);
    assert.match(infra.redisUrl, /^redis:\/\/127\.0\.0\.1:\d+$/);
    assert.match(infra.natsUrl, /^nats:\/\/127\.0\.0\.1:\d+$/);
    assert.match(infra.smtpUrl, /^smtp:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(infra.mailDir, join(realpathSync(dataDir), "mail"));
    for (const s of infra.started)
      assert.notEqual(s.port, { mariadb: 3306, redis: 6379, nats: 4222, smtp: 25 }[s.kind]);

    assert.deepEqual(await sql(infra.mariadbUrl, "SELECT @@character_set_server AS cs, @@time_zone AS tz"), [
      { cs: "utf8mb4", tz: "+00:00" },
    ]);
    assert.equal(await redisSetGet(infra.redisUrl), "v1");
    assert.equal(await streamMessages(infra.natsUrl, "HARNESS", true), 1);
    await createTransport(infra.smtpUrl).sendMail({
      from: "a@example.test",
      to: "b@example.test",
      text: "hi",
      messageId: "<harness@test>",
    });
    assert.deepEqual(
      listMail(infra.mailDir).map((m) => m.messageId),
      ["<harness@test>"],
    );

    const ports = infra.started.map((s) => s.port);
    await infra.stop();
    for (const port of ports) assert.ok(await refuses(port), `port ${port} still accepts`);
    assert.equal(existsSync(dataDir), false);
    assert.ok(infra.started.every((s) => s.pid === undefined));
  });

  it("uses URLs from env as is and starts nothing", async () => {
    const [m, r, n, smtp] = await Promise.all([
      startMariaDb({ dataDir: dir(), log }),
      startRedis({ dataDir: dir(), log }),
      startNats({ dataDir: dir(), log }),
      startSmtpSink({ dataDir: dir(), log }),
    ]);
    servers.push(m, r, n, smtp);
    const dataDir = join(dir(), "unused");
    const env = {
      BOXOFFICE_MARIADB_URL: m.url,
      BOXOFFICE_REDIS_URL: r.url,
      BOXOFFICE_NATS_URL: n.url,
      BOXOFFICE_SMTP_URL: smtp.url,
    };
    const infra = await startInfra({ dataDir, env, log });
    assert.deepEqual(infra.started, []);
    assert.deepEqual([infra.mariadbUrl, infra.redisUrl, infra.natsUrl, infra.smtpUrl], [m.url, r.url, n.url, smtp.url]);
    assert.equal(infra.mailDir, "", "the mail folder of a server given by URL is not ours to know");
    assert.equal(existsSync(dataDir), false);
    await infra.stop();
    assert.equal(await redisSetGet(infra.redisUrl), "v1", "stop() must not touch servers it did not start");
  });

  it("starts only what `only` asks for", async () => {
    const infra = await startInfra({ dataDir: join(dir(), "infra"), env: {}, only: ["redis"], log });
    try {
      assert.deepEqual(
        infra.started.map((s) => s.kind),
        ["redis"],
      );
      assert.equal(infra.mariadbUrl, "");
      assert.equal(infra.natsUrl, "");
    } finally {
      await infra.stop();
    }
  });

  it("keeps MariaDB data across runs with keep: true", async () => {
    const dataDir = join(dir(), "dev");
    const first = await startInfra({ dataDir, keep: true, env: {}, only: ["mariadb"], log });
    await sql(first.mariadbUrl, "CREATE DATABASE app");
    await sql(first.mariadbUrl, "CREATE TABLE app.t (id INT PRIMARY KEY, name VARCHAR(20))");
    await sql(first.mariadbUrl, "INSERT INTO app.t VALUES (1, 'kept')");
    await first.stop();
    assert.ok(existsSync(dataDir));

    const second = await startInfra({ dataDir, keep: true, env: {}, only: ["mariadb"], log });
    try {
      assert.deepEqual(await sql(second.mariadbUrl, "SELECT * FROM app.t"), [{ id: 1, name: "kept" }]);
    } finally {
      await second.stop();
    }
  });

  it("MariaDB: kill() then restart() keeps the data and the port", async () => {
    const m = await startMariaDb({ dataDir: dir(), log });
    servers.push(m);
    await sql(m.url, "CREATE DATABASE app");
    await sql(m.url, "CREATE TABLE app.t (id INT PRIMARY KEY)");
    await sql(m.url, "INSERT INTO app.t VALUES (42)");
    const { port, pid } = m;
    await m.kill();
    assert.equal(m.pid, undefined);
    assert.ok(await refuses(port));
    await m.restart();
    assert.equal(m.port, port);
    assert.notEqual(m.pid, pid);
    assert.deepEqual(await sql(m.url, "SELECT id FROM app.t"), [{ id: 42 }]);
  });

  it("NATS: JetStream streams survive kill() and restart()", async () => {
    const n = await startNats({ dataDir: dir(), log });
    servers.push(n);
    await streamMessages(n.url, "KEEP", true);
    await n.kill();
    await n.restart();
    assert.equal(await streamMessages(n.url, "KEEP", false), 1);
  });

  for (const [kind, start] of [
    ["mariadb", startMariaDb],
    ["redis", startRedis],
    ["nats", startNats],
    ["smtp", startSmtpSink],
  ] as const) {
    it(`${kind}: a port that is taken fails with the port and the log tail`, async () => {
      const blocker: Server = createServer();
      await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
      const port = (blocker.address() as { port: number }).port;
      try {
        await assert.rejects(start({ dataDir: dir(), port, readyTimeoutMs: 15_000, log }), (e: Error) => {
          assert.match(e.message, new RegExp(`${kind} on 127\\.0\\.0\\.1:${port}`));
          assert.match(e.message, /address already in use/i, "the log tail is quoted");
          return true;
        });
      } finally {
        blocker.close();
      }
    });
  }

  it("a failed startInfra stops what did start and removes the dir", async () => {
    const dataDir = join(dir(), "infra");
    await assert.rejects(startInfra({ dataDir, env: {}, readyTimeoutMs: 1, log }), (e: Error) => {
      for (const kind of ["mariadb", "redis", "nats", "smtp"]) assert.match(e.message, new RegExp(`${kind} on 127`));
      return true;
    });
    assert.equal(existsSync(dataDir), false);
    assert.deepEqual(processesUsing(dataDir), []);
  });

  it("kills a leftover server still running on the same data dir", async () => {
    const d = dir();
    const old = await startRedis({ dataDir: d, log });
    servers.push(old);
    const oldPid = old.pid!;
    const fresh = await startRedis({ dataDir: d, log }); // as a new `make dev` after a crash would
    servers.push(fresh);
    assert.equal(alive(oldPid), false);
    assert.equal(await redisSetGet(fresh.url), "v1");
  });

  it("kills a leftover SMTP sink still running on the same data dir", async () => {
    const d = dir();
    const old = await startSmtpSink({ dataDir: d, log });
    servers.push(old);
    const oldPid = old.pid!;
    const fresh = await startSmtpSink({ dataDir: d, log });
    servers.push(fresh);
    assert.equal(alive(oldPid), false);
    assert.equal((await fresh.status()).pid, fresh.pid);
  });

  it("kills its servers when the parent process exits without stopping them", async () => {
    const d = dir();
    const script = `import { startRedis } from ${JSON.stringify(new URL("./index.ts", import.meta.url).href)};
      const s = await startRedis({ dataDir: ${JSON.stringify(d)}, log: () => {} });
      console.log(s.pid); process.exit(0);`;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b));
    await new Promise((r) => child.once("close", r));
    const pid = Number(out.trim());
    assert.ok(pid > 0, `child printed ${out}`);
    for (let i = 0; i < 50 && alive(pid); i++) await sleep(100);
    assert.equal(alive(pid), false);
  });

  it("Ctrl-C reaches the parent only: its servers keep answering while it shuts down, then it stops them", async () => {
    const d = dir();
    const script = `import { startRedis } from ${JSON.stringify(new URL("./index.ts", import.meta.url).href)};
      import { Redis } from "ioredis";
      const s = await startRedis({ dataDir: ${JSON.stringify(d)}, log: () => {} });
      process.on("SIGINT", async () => {
        await new Promise((r) => setTimeout(r, 300)); // the services draining
        const r = new Redis(s.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        const pong = await r.connect().then(() => r.ping()).catch((e) => "unreachable: " + e.message);
        r.disconnect();
        await s.stop();
        console.log(pong);
        process.exit(pong === "PONG" ? 0 : 3);
      });
      console.log("ready " + s.pid);`;
    // its own process group, like a terminal's foreground job; SIGINT goes to the whole group
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
      detached: true,
    });
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b));
    for (let i = 0; i < 100 && !out.includes("ready"); i++) await new Promise((r) => setTimeout(r, 100));
    const serverPid = Number(/ready (\d+)/.exec(out)?.[1]);
    assert.ok(serverPid > 0, `child printed ${out}`);
    process.kill(-child.pid!, "SIGINT");
    const code = await new Promise<number | null>((r) => child.once("close", r));
    assert.match(out, /PONG/, "the server still answered after the group got SIGINT");
    assert.equal(code, 0);
    assert.equal(alive(serverPid), false, "and was stopped by the parent");
  });
});
