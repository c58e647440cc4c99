/** MariaDB (Debian's mariadbd 10.11) in its own data dir on its own port. */
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, realpathSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { createConnection } from "mysql2/promise";
import { ensureBinaries } from "./install.js";
import { type EmbeddedServer, launch, logTail, type StartServerOptions, stderrLog } from "./process.js";

// Options shared by the bootstrap and the server: InnoDB sizes its redo log at creation, and a
// different size at start would make every first start resize it.
const INNODB = [
  // 128M: a test instance holds a few MB; the default is also 128M but stated so it stays small
  "--innodb-buffer-pool-size=128M",
  // 48M: small enough to create fast, big enough that test bursts don't stall on checkpoints
  "--innodb-log-file-size=48M",
  // Local servers only: the log is written at each commit and flushed to disk once a second, so a
  // killed mariadbd loses nothing (the OS has the writes) and write-heavy tests run faster.
  "--innodb-flush-log-at-trx-commit=2",
];

/**
 * Starts MariaDB as root (no password) on 127.0.0.1. Runs mariadb-install-db first only when the
 * data dir has no `mysql/` system tables yet, so a kept data dir keeps its databases.
 */
export async function startMariaDb(o: StartServerOptions): Promise<EmbeddedServer> {
  const log = o.log ?? stderrLog;
  const bins = await ensureBinaries(["mariadb"], { log });
  mkdirSync(o.dataDir, { recursive: true });
  // realpath: mariadbd reports @@datadir resolved, and the leftover check matches command lines
  const dir = realpathSync(resolve(o.dataDir));
  const logFile = join(dir, "mariadb.log");
  const pidFile = join(dir, "mariadb.pid");
  // sun_path holds 108 bytes; a deep temp dir would make mariadbd refuse to start, and nothing in
  // the harness uses the socket (it is only there to keep mariadbd away from /run/mysqld)
  let socket = join(dir, "mariadb.sock");
  if (Buffer.byteLength(socket) > 100) socket = join("/tmp", `boxoffice-mariadb-${process.pid}-${Date.now()}.sock`);

  // A temp dir of its own: at start-up mariadbd deletes every `#sql*` file in its tmpdir, so with the
  // default /tmp one instance starting removed another's temporary tables (a bootstrap of a parallel
  // test run failed with "Error on delete of '/tmp/#sql-temptable-…'").
  const tmpdir = join(dir, "tmp");
  mkdirSync(tmpdir, { recursive: true });
  if (!existsSync(join(dir, "mysql"))) await installDb(bins["mariadb-install-db"]!, dir, tmpdir, logFile, log);

  return launch(
    {
      kind: "mariadb",
      dataDir: dir,
      binary: bins.mariadbd!,
      logFile,
      pidFile,
      args: (port) => [
        "--no-defaults", // first: keeps /etc/mysql and ~/.my.cnf out
        "--user=root",
        `--datadir=${dir}`,
        `--tmpdir=${tmpdir}`,
        `--port=${port}`,
        "--bind-address=127.0.0.1",
        `--socket=${socket}`,
        `--pid-file=${pidFile}`,
        `--log-error=${logFile}`,
        // every service x every suite opens a pool; the default 151 runs out
        "--max-connections=1000",
        ...INNODB,
        "--skip-name-resolve",
        "--character-set-server=utf8mb4",
        "--collation-server=utf8mb4_unicode_ci",
        "--default-time-zone=+00:00",
      ],
      url: (port) => `mysql://root@127.0.0.1:${port}`,
      probe: (port, _pid, signal) => probe(port, dir, signal),
      readyTimeoutMs: o.readyTimeoutMs ?? 30_000,
      log,
    },
    o.port,
  );
}

async function probe(port: number, dir: string, signal: AbortSignal): Promise<void> {
  // connectTimeout covers the handshake too (MariaDB speaks first), so connecting cannot hang
  const conn = await createConnection({ host: "127.0.0.1", port, user: "root", connectTimeout: 2000 });
  signal.addEventListener("abort", () => conn.destroy(), { once: true });
  try {
    const [rows] = await conn.query("SELECT 1 AS one, @@datadir AS datadir");
    const row = (rows as Array<{ one: number; datadir: string }>)[0];
    // if our mariadbd lost the port race, another server may answer here: make sure it's ours
    if (row?.one !== 1 || realpathSync(row.datadir) !== dir) {
      throw new Error(`a different server answers on port ${port} (datadir ${row?.datadir})`);
    }
  } finally {
    conn.destroy();
  }
}

async function installDb(
  bin: string,
  dir: string,
  tmpdir: string,
  logFile: string,
  log: (line: string) => void,
): Promise<void> {
  log(`mariadb: initialising system tables in ${dir}`);
  const t0 = Date.now();
  const fd = openSync(logFile, "a");
  try {
    const code = await new Promise<number | null>((res, rej) => {
      const child = spawn(
        bin,
        [
          "--no-defaults",
          "--auth-root-authentication-method=normal", // root with no password over TCP
          `--datadir=${dir}`,
          `--tmpdir=${tmpdir}`,
          "--user=root",
          "--skip-test-db",
          ...INNODB,
        ],
        { stdio: ["ignore", fd, fd] },
      );
      child.once("error", rej);
      child.once("exit", (c) => res(c));
    });
    if (code !== 0) {
      // a half-built mysql/ would make the next run skip the bootstrap and fail obscurely
      rmSync(join(dir, "mysql"), { recursive: true, force: true });
      throw new Error(`harness: mariadb-install-db exited with code ${code}\n--- ${logFile} ---\n${logTail(logFile)}`);
    }
  } finally {
    closeSync(fd);
  }
  log(`mariadb: system tables ready in ${Date.now() - t0} ms`);
}
