/** Redis (Debian's redis-server 7.0), memory only, in its own dir on its own port. */
import { mkdirSync, realpathSync } from "node:fs";
import { join, resolve } from "node:path";
import { Redis } from "ioredis";
import { ensureBinaries } from "./install.js";
import { type EmbeddedServer, launch, type StartServerOptions, stderrLog } from "./process.js";

/**
 * Starts redis-server on 127.0.0.1 without persistence (no RDB, no AOF): a restart starts empty,
 * as the caches and rate limits built on Redis must tolerate.
 */
export async function startRedis(o: StartServerOptions): Promise<EmbeddedServer> {
  const log = o.log ?? stderrLog;
  const bins = await ensureBinaries(["redis"], { log });
  mkdirSync(o.dataDir, { recursive: true });
  const dir = realpathSync(resolve(o.dataDir));
  const logFile = join(dir, "redis.log");
  const pidFile = join(dir, "redis.pid");

  return launch(
    {
      kind: "redis",
      dataDir: dir,
      binary: bins["redis-server"]!,
      logFile,
      pidFile,
      args: (port) => [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        dir,
        "--logfile",
        logFile,
        "--daemonize",
        "no",
        // redis writes a pid file when not daemonized too, if one is named
        "--pidfile",
        pidFile,
        // by default redis overwrites its argv with "redis-server 127.0.0.1:PORT", which would
        // hide --dir from /proc/PID/cmdline and so from the leftover-process check
        "--set-proc-title",
        "no",
      ],
      url: (port) => `redis://127.0.0.1:${port}`,
      probe,
      readyTimeoutMs: o.readyTimeoutMs ?? 30_000,
      log,
    },
    o.port,
  );
}

async function probe(port: number, pid: number, signal: AbortSignal): Promise<void> {
  // fail fast instead of queueing and reconnecting: the caller polls
  const client = new Redis({
    host: "127.0.0.1",
    port,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 2000,
  });
  client.on("error", () => undefined); // errors surface through the awaited calls below
  // connectTimeout covers only the TCP connect: a listener that never answers HELLO would
  // keep connect() pending, and the socket open, forever
  signal.addEventListener("abort", () => client.disconnect(), { once: true });
  try {
    await client.connect();
    if ((await client.ping()) !== "PONG") throw new Error("PING did not answer PONG");
    // if our redis-server lost the port race, another one may answer here: make sure it's ours
    const info = String(await client.info("server"));
    const servedBy = /process_id:(\d+)/.exec(info)?.[1];
    if (Number(servedBy) !== pid) throw new Error(`a different redis (pid ${servedBy}) answers on port ${port}`);
    await client.quit();
  } finally {
    client.disconnect();
  }
}
