/** NATS with JetStream (Debian's nats-server 2.9.10) in its own dir on its own port. */
import { createHash } from "node:crypto";
import { mkdirSync, realpathSync } from "node:fs";
import { createConnection as tcpConnect } from "node:net";
import { join, resolve } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { ensureBinaries } from "./install.js";
import { type EmbeddedServer, launch, type StartServerOptions, stderrLog } from "./process.js";

/**
 * Starts nats-server with JetStream on 127.0.0.1; streams live under `<dataDir>/jetstream`, so
 * they survive restart().
 */
export async function startNats(o: StartServerOptions): Promise<EmbeddedServer> {
  const log = o.log ?? stderrLog;
  const bins = await ensureBinaries(["nats"], { log });
  mkdirSync(o.dataDir, { recursive: true });
  const dir = realpathSync(resolve(o.dataDir));
  const logFile = join(dir, "nats.log");
  const pidFile = join(dir, "nats.pid");
  // A name derived from the data dir: stable across restarts, and the probe can tell our server
  // from another nats-server that grabbed the port first.
  const name = `boxoffice-${createHash("sha256").update(dir).digest("hex").slice(0, 12)}`;

  return launch(
    {
      kind: "nats",
      dataDir: dir,
      binary: bins["nats-server"]!,
      logFile,
      pidFile,
      args: (port) => [
        "-a",
        "127.0.0.1",
        "-p",
        String(port),
        "-n",
        name,
        "-js",
        "-sd",
        join(dir, "jetstream"),
        "-l",
        logFile,
        "-P",
        pidFile,
      ],
      url: (port) => `nats://127.0.0.1:${port}`,
      probe: (port, _pid, signal) => probe(port, name, signal),
      readyTimeoutMs: o.readyTimeoutMs ?? 30_000,
      log,
    },
    o.port,
  );
}

async function probe(port: number, name: string, signal: AbortSignal): Promise<void> {
  // The client's connect() leaves its socket open when a listener accepts but never sends INFO,
  // so first read the greeting on a socket of our own: it also names the server.
  const info = await readInfo(port, signal);
  if (info.server_name !== name)
    throw new Error(`a different nats-server (${String(info.server_name)}) answers on port ${port}`);
  // no reconnects: a refused connection must fail this check at once, the caller polls
  const nc = await connect({ servers: `127.0.0.1:${port}`, reconnect: false, timeout: 2000 });
  signal.addEventListener("abort", () => void nc.close(), { once: true });
  try {
    // JetStream comes up after the client port: ready means the JS API answers
    const jsm = await jetstreamManager(nc);
    await jsm.getAccountInfo();
  } finally {
    await nc.close();
  }
}

/** The JSON of the `INFO {...}` line a NATS server sends first on every connection. */
function readInfo(port: number, signal: AbortSignal): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const sock = tcpConnect({ host: "127.0.0.1", port });
    let buf = "";
    let settled = false;
    const done = (err: unknown, info?: Record<string, unknown>) => {
      if (settled) return;
      settled = true;
      sock.destroy();
      signal.removeEventListener("abort", onAbort);
      if (info) resolve(info);
      else reject(err instanceof Error ? err : new Error(String(err)));
    };
    const onAbort = () => done(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    sock.setEncoding("utf8");
    sock.on("data", (chunk: string) => {
      buf += chunk;
      const eol = buf.indexOf("\r\n");
      if (eol < 0) return buf.length > 65536 ? done(new Error("no INFO line")) : undefined;
      const line = buf.slice(0, eol);
      if (!line.startsWith("INFO ")) return done(new Error(`not a NATS server: ${line.slice(0, 60)}`));
      try {
        done(undefined, JSON.parse(line.slice(5)) as Record<string, unknown>);
      } catch (e) {
        done(e);
      }
    });
    sock.on("error", (e) => done(e));
    sock.on("close", () => done(new Error("connection closed before INFO")));
  });
}
