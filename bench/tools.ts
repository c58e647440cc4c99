/**
 * The load generators: `wrk` (HTTP/1.1) and `h2load` (HTTP/2, from nghttp2-client), fast C clients
 * from Debian. Installed with apt-get when missing and running as root (a fresh CI container),
 * like the harness installs the database servers; otherwise the bench falls back to its own Node
 * client (bench/node-load.ts) and says so — that client cannot keep up with bare node:http on this
 * box, so such a run is marked invalid, which is fine for the smoke run of `make test`.
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { findExecutable } from "../harness/install.js";

/** Absolute paths of the generators found (or installed); undefined when unavailable. */
export interface Generators {
  wrk?: string;
  h2load?: string;
  /** Why a generator is missing, for the report. */
  notes: string[];
}

const packages = { wrk: "wrk", h2load: "nghttp2-client" } as const;

function run(cmd: string, args: string[], log: (line: string) => void): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    for (const s of [child.stdout, child.stderr])
      createInterface({ input: s }).on("line", (l) => log(`  ${cmd}: ${l}`));
    child.once("error", () => resolve(127));
    child.once("close", (code) => resolve(code ?? 1));
  });
}

/**
 * Finds wrk and h2load; installs the missing Debian packages in one apt-get call when root and
 * `BENCH_NO_INSTALL` is unset. Never throws: a failed install leaves the fallback client in charge.
 */
export async function ensureGenerators(log: (line: string) => void): Promise<Generators> {
  const find = () => ({ wrk: findExecutable("wrk"), h2load: findExecutable("h2load") });
  let found = find();
  const missing = (Object.keys(packages) as (keyof typeof packages)[]).filter((k) => found[k] === undefined);
  const notes: string[] = [];
  if (missing.length === 0) return { ...found, notes };
  const pkgs = missing.map((k) => packages[k]);
  if (process.getuid?.() !== 0 || process.env.BENCH_NO_INSTALL === "1") {
    notes.push(`${missing.join(", ")} not found: install ${pkgs.join(" ")} (apt-get) for valid figures`);
    return { ...found, notes };
  }
  log(`bench: installing ${pkgs.join(" ")} with apt-get`);
  const quiet: (l: string) => void = () => undefined;
  let code = await run("apt-get", ["install", "-y", "--no-install-recommends", ...pkgs], quiet);
  if (code !== 0) {
    await run("apt-get", ["update"], quiet);
    code = await run("apt-get", ["install", "-y", "--no-install-recommends", ...pkgs], log);
  }
  found = find();
  for (const k of missing)
    if (found[k] === undefined) notes.push(`${k}: apt-get install ${packages[k]} failed (exit ${code})`);
  return { ...found, notes };
}
