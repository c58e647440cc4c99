/**
 * The servers under load, each a process of its own so none shares an event loop with the bench:
 * the platform (`boxoffice serve`, optionally under `--cpu-prof`) and the reference servers
 * (bench/reference-server.ts).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, openSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { freePort } from "../harness/system.js";
import type { ReferenceConfig } from "./reference-server.js";

const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * Node flags every server under load runs with (BENCH_NODE_FLAGS; set it to "" for Node's
 * defaults). A 32 MiB young generation: a server allocating a few tens of KB per call otherwise
 * scavenges every ~20 ms and promotes what is still in flight, which then costs major GCs —
 * pauses that land in the p99 of a process with a large heap. The same flags for the platform and
 * the references, so the comparison stays about code; see docs/performance.md.
 */
export const serverFlags = (process.env.BENCH_NODE_FLAGS ?? "--max-semi-space-size=32")
  .split(" ")
  .filter((a) => a !== "");

export interface Running {
  /** The server's process id (its CPU time is read from /proc around each measurement). */
  readonly pid: number;
  stop(): Promise<void>;
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); NaN elsewhere. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[11] and [12] are utime and stime (fields 14 and 15 of proc(5)), in clock ticks of 1/100 s
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
  });
}

async function stopChild(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const t = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited(child);
  clearTimeout(t);
}

/** Starts a reference server; resolves with its HTTP/1.1 and h2c base URLs. */
export async function startReference(cfg: ReferenceConfig): Promise<Running & { h1: string; h2: string }> {
  const child = spawn(process.execPath, [...serverFlags, "--import", "tsx", "bench/reference-server.ts"], {
    cwd: root,
    env: { ...process.env, BENCH_REFERENCE: JSON.stringify(cfg) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const ports = await new Promise<{ h1: number; h2: number }>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line !== undefined) resolve(JSON.parse(line) as { h1: number; h2: number });
    });
    child.once("exit", (code) => reject(new Error(`reference server (${cfg.kind}) exited with ${code}`)));
  });
  return {
    pid: child.pid!,
    h1: `http://127.0.0.1:${ports.h1}`,
    h2: `http://127.0.0.1:${ports.h2}`,
    stop: () => stopChild(child),
  };
}

/**
 * How the platform is started: with BENCH_PLATFORM=dist (what `make bench` sets after `make
 * build`) the compiled program, as the container image runs it (`node --enable-source-maps
 * dist/cmd/boxoffice.js`); otherwise through tsx, as `make dev` does (the smoke run skips the build).
 */
export function platformProgram(): { args: string[]; label: string } {
  if (process.env.BENCH_PLATFORM === "dist") {
    if (!existsSync(`${root}dist/cmd/boxoffice.js`)) throw new Error("BENCH_PLATFORM=dist: run make build first");
    return { args: ["--enable-source-maps", "dist/cmd/boxoffice.js"], label: "compiled (dist/, as the image runs it)" };
  }
  return { args: ["--import", "tsx", "cmd/boxoffice.ts"], label: "through tsx (as make dev runs it)" };
}

/** Starts `boxoffice serve --services=all` on free ports and waits until /readyz answers 200. */
export async function startPlatform(
  env: Record<string, string | undefined>,
  opts: { profileDir?: string } = {},
): Promise<Running & { baseUrl: string; adminUrl: string }> {
  const port = await freePort();
  const adminPort = await freePort();
  const prof = opts.profileDir ? ["--cpu-prof", `--cpu-prof-dir=${opts.profileDir}`] : [];
  // e.g. BENCH_NODE_ARGS="--heap-prof --heap-prof-dir=/tmp/heap" for an allocation profile
  prof.push(...(process.env.BENCH_NODE_ARGS ?? "").split(" ").filter((a) => a !== ""));
  const program = platformProgram();
  const child = spawn(process.execPath, [...serverFlags, ...prof, ...program.args, "serve"], {
    cwd: root,
    env: { ...env, BOXOFFICE_PORT: String(port), BOXOFFICE_ADMIN_PORT: String(adminPort) },
    // production logs are JSON lines on stdout: kept out of the report, or in BENCH_PLATFORM_LOG
    stdio: [
      "ignore",
      process.env.BENCH_PLATFORM_LOG ? openSync(process.env.BENCH_PLATFORM_LOG, "w") : "ignore",
      "inherit",
    ],
  });
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`boxoffice serve exited with ${child.exitCode}`);
    const ok = await fetch(`${adminUrl}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error("boxoffice serve did not become ready within 60 s");
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { pid: child.pid!, baseUrl: `http://127.0.0.1:${port}`, adminUrl, stop: () => stopChild(child) };
}
