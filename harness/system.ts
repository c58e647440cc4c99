/** Small OS helpers for the harness: free ports, log tails, leftover processes. */
import { closeSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { createServer } from "node:net";

/** A port on 127.0.0.1 that was free a moment ago (the caller retries if it is taken meanwhile). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error("harness: no port from the kernel"))));
    });
  });
}

import { sleep } from "../platform/clock/index.js";

export { sleep };

/** Last `max` lines written to `file` since byte `from` (reads at most the last 64 KiB). */
export function logTail(file: string, from = 0, max = 30): string {
  try {
    const size = statSync(file).size;
    const start = Math.max(from, size - 65536);
    if (size <= start) return "(nothing logged)";
    const buf = Buffer.alloc(size - start);
    const fd = openSync(file, "r");
    try {
      readSync(fd, buf, 0, buf.length, start);
    } finally {
      closeSync(fd);
    }
    return buf
      .toString("utf8")
      .split("\n")
      .filter((l) => l.trim() !== "")
      .slice(-max)
      .join("\n");
  } catch (e) {
    return `(log unreadable: ${(e as Error).message})`;
  }
}

const isAlive = (pid: number): boolean => {
  try {
    // field 3 of /proc/PID/stat is the state; a zombie holds no ports or files any more
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
};

/** True when an argument is `dir`, under `dir`, or `--opt=` either of those. */
function mentionsDir(args: string[], dir: string): boolean {
  return args.some((a) => {
    const v = a.replace(/^--?[\w-]+=/, "");
    return v === dir || v.startsWith(`${dir}/`);
  });
}

/** What {@link killLeftover} needs to know about a server. */
export interface LeftoverSpec {
  kind: string;
  pidFile: string;
  dataDir: string;
  log: (line: string) => void;
}

/** Kills a server left running by a crashed run on this data dir (its pid file names it). */
export async function killLeftover(spec: LeftoverSpec): Promise<void> {
  let pid: number;
  let cmdline: string;
  try {
    pid = Number.parseInt(readFileSync(spec.pidFile, "utf8").trim(), 10);
    if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) return;
    cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return; // no pid file, or that process is gone
  }
  // pids are reused: only a process whose command line names this data dir is ours to kill
  if (!isAlive(pid) || !mentionsDir(cmdline.split("\0"), spec.dataDir)) return;
  spec.log(`${spec.kind}: stopping leftover pid ${pid} still using ${spec.dataDir}`);
  process.kill(pid, "SIGTERM");
  for (let waited = 0; isAlive(pid); waited += 100) {
    if (waited === 10_000) process.kill(pid, "SIGKILL");
    if (waited > 15_000) throw new Error(`harness: leftover ${spec.kind} pid ${pid} does not die`);
    await sleep(100);
  }
}
