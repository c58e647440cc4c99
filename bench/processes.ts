/**
 * The servers under load, each a process of its own so none shares an event loop with the bench:
 * the platform (`boxoffice serve`, optionally under `--cpu-prof`) and the reference servers
 * (bench/reference-server.ts).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { freePort } from "../harness/system.js";
import type { ReferenceConfig } from "./reference-server.js";

const root = fileURLToPath(new URL("..", import.meta.url));

export interface Running {
  stop(): Promise<void>;
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
  const child = spawn(process.execPath, ["--import", "tsx", "bench/reference-server.ts"], {
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
    h1: `http://127.0.0.1:${ports.h1}`,
    h2: `http://127.0.0.1:${ports.h2}`,
    stop: () => stopChild(child),
  };
}

/** Starts `boxoffice serve --services=all` on free ports and waits until /readyz answers 200. */
export async function startPlatform(
  env: Record<string, string | undefined>,
  opts: { profileDir?: string } = {},
): Promise<Running & { baseUrl: string; adminUrl: string }> {
  const port = await freePort();
  const adminPort = await freePort();
  const prof = opts.profileDir ? ["--cpu-prof", `--cpu-prof-dir=${opts.profileDir}`] : [];
  const child = spawn(process.execPath, [...prof, "--import", "tsx", "cmd/boxoffice.ts", "serve"], {
    cwd: root,
    env: { ...env, BOXOFFICE_PORT: String(port), BOXOFFICE_ADMIN_PORT: String(adminPort) },
    // production logs are JSON lines on stdout; the bench keeps them out of its report
    stdio: ["ignore", "ignore", "inherit"],
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
  return { baseUrl: `http://127.0.0.1:${port}`, adminUrl, stop: () => stopChild(child) };
}
