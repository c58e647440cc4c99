/** NATS with JetStream (Debian's nats-server 2.9.10) in its own dir on its own port. */
import { createHash } from "node:crypto";
import { mkdirSync, realpathSync } from "node:fs";
import { join, resolve } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { ensureBinaries } from "./install.js";
import { launch, stderrLog, type EmbeddedServer, type StartServerOptions } from "./process.js";

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
        "-a", "127.0.0.1",
        "-p", String(port),
        "-n", name,
        "-js",
        "-sd", join(dir, "jetstream"),
        "-l", logFile,
        "-P", pidFile,
      ],
      url: (port) => `nats://127.0.0.1:${port}`,
      probe: (port) => probe(port, name),
      readyTimeoutMs: o.readyTimeoutMs ?? 30_000,
      log,
    },
    o.port,
  );
}

async function probe(port: number, name: string): Promise<void> {
  // no reconnects: a refused connection must fail this check at once, the caller polls
  const nc = await connect({ servers: `127.0.0.1:${port}`, reconnect: false, timeout: 2000 });
  try {
    if (nc.info?.server_name !== name) {
      throw new Error(`a different nats-server (${nc.info?.server_name}) answers on port ${port}`);
    }
    // JetStream comes up after the client port: ready means the JS API answers
    const jsm = await jetstreamManager(nc);
    await jsm.getAccountInfo();
  } finally {
    await nc.close();
  }
}
