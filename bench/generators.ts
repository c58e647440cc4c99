/**
 * Drives one request shape at a server with a fast external load generator — wrk for HTTP/1.1,
 * h2load for h2c — or, when those are not installed, with the in-repo Node client. Every run is
 * closed-loop with a fixed number of connections (one request in flight on each).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nodeLoad } from "./node-load.js";
import type { Generators } from "./tools.js";

/** One request shape. */
export interface Shot {
  protocol: "h1" | "h2";
  url: string;
  method: "GET" | "POST";
  headers: Record<string, string>;
  body?: Uint8Array;
}

/** What one load run measured. */
export interface Figure {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Transport errors and HTTP statuses >= 400 (gRPC statuses are checked by the caller). */
  errors: number;
  generator: "wrk" | "h2load" | "node";
  /** The server's CPU time per request (user + system), when its process could be measured. */
  cpuUsPerRequest?: number;
}

export interface LoadOptions {
  connections: number;
  seconds: number;
  /** Unmeasured load before the measured period (JIT, caches, connection set-up). */
  warmupSeconds: number;
}

function exec(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("error", (e) => resolve({ code: 127, stdout, stderr: String(e) }));
    child.once("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** A Lua long string holding `s` whatever it contains. */
function luaString(s: string): string {
  let eq = "=";
  while (s.includes(`]${eq}]`)) eq += "=";
  return `[${eq}[${s}]${eq}]`;
}

async function wrk(bin: string, shot: Shot, o: LoadOptions, dir: string): Promise<Figure> {
  const script = join(dir, "shot.lua");
  const lines = [
    `wrk.method = "${shot.method}"`,
    ...Object.entries(shot.headers).map(([k, v]) => `wrk.headers[ ${luaString(k)} ] = ${luaString(v)}`),
    shot.body ? `wrk.body = ${luaString(Buffer.from(shot.body).toString("latin1"))}` : "",
    "done = function(s, latency, requests)",
    "  local e = s.errors",
    '  io.write(string.format("\\n{\\"requests\\":%d,\\"us\\":%d,\\"errors\\":%d,\\"p50\\":%d,\\"p99\\":%d}\\n",',
    "    s.requests, s.duration, e.connect + e.read + e.write + e.timeout + e.status,",
    "    latency:percentile(50), latency:percentile(99)))",
    "end",
  ];
  writeFileSync(script, lines.join("\n"), "latin1");
  const common = ["-t", "1", "-c", String(o.connections), "--timeout", "10s", "-s", script, shot.url];
  const r = await exec(bin, ["-d", `${Math.max(1, Math.round(o.seconds))}s`, ...common]);
  const json = r.stdout
    .split("\n")
    .reverse()
    .find((l) => l.startsWith("{"));
  if (r.code !== 0 || json === undefined) throw new Error(`wrk failed (${r.code}): ${r.stderr || r.stdout}`);
  const f = JSON.parse(json) as { requests: number; us: number; errors: number; p50: number; p99: number };
  return {
    rps: f.requests / (f.us / 1e6),
    p50Ms: f.p50 / 1000,
    p99Ms: f.p99 / 1000,
    requests: f.requests,
    errors: f.errors,
    generator: "wrk",
  };
}

async function h2load(bin: string, shot: Shot, o: LoadOptions, dir: string): Promise<Figure> {
  const log = join(dir, "h2load.log");
  const args = [
    "-c",
    String(o.connections),
    "-m",
    "1",
    "-t",
    "1",
    "-D",
    `${Math.round(o.seconds * 1000)}ms`,
    `--log-file=${log}`,
  ];
  for (const [k, v] of Object.entries(shot.headers)) args.push("-H", `${k}: ${v}`);
  if (shot.body) {
    const data = join(dir, "body.bin");
    writeFileSync(data, shot.body);
    args.push("-d", data);
  }
  args.push(shot.url);
  const r = await exec(bin, args);
  const rate = /finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(r.stdout);
  const counts = /requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(
    r.stdout,
  );
  const statuses = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(r.stdout);
  if (r.code !== 0 || rate === null || counts === null)
    throw new Error(`h2load failed (${r.code}): ${r.stderr || r.stdout}`);
  // The log has one line per request of the measured period: start (µs), status, duration (µs).
  const durations = readFileSync(log, "latin1")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => Number(l.split("\t")[2]))
    .sort((a, b) => a - b);
  const pct = (p: number) => (durations[Math.min(durations.length - 1, Math.floor(p * durations.length))] ?? 0) / 1000;
  const failed = Number(counts[4]) + Number(counts[5]) + (statuses ? Number(statuses[3]) + Number(statuses[4]) : 0);
  return {
    rps: Number(rate[1]),
    p50Ms: pct(0.5),
    p99Ms: pct(0.99),
    requests: Number(counts[2]),
    errors: failed,
    generator: "h2load",
  };
}

/**
 * Runs one measured load of `shot` with the best generator available for its protocol, after an
 * unmeasured warm-up run; `cpu` (the server's CPU seconds so far) is read around the measured run.
 */
export async function load(gens: Generators, shot: Shot, o: LoadOptions, cpu?: () => number): Promise<Figure> {
  const dir = mkdtempSync(join(tmpdir(), "boxoffice-load-"));
  const once = (seconds: number) => {
    const run = { ...o, seconds, warmupSeconds: 0 };
    if (shot.protocol === "h1" && gens.wrk) return wrk(gens.wrk, shot, run, dir);
    if (shot.protocol === "h2" && gens.h2load) return h2load(gens.h2load, shot, run, dir);
    return nodeLoad(shot, run);
  };
  try {
    if (o.warmupSeconds > 0) await once(o.warmupSeconds);
    const before = cpu?.() ?? Number.NaN;
    const f = await once(o.seconds);
    const used = (cpu?.() ?? Number.NaN) - before;
    if (Number.isFinite(used) && f.requests > 0) f.cpuUsPerRequest = (used * 1e6) / f.requests;
    return f;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
