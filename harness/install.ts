/**
 * Finding the server executables, and installing the Debian packages that provide them when they
 * are missing and we are root (a fresh CI container); otherwise a clear error naming the packages.
 */
import { spawn } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import { createInterface } from "node:readline";

/** The three servers the harness knows how to run. */
export type ServerKind = "mariadb" | "redis" | "nats";

/** What the harness can install: the servers, and Chromium for the storefront's browser tests. */
export type BinaryKind = ServerKind | "chromium";

/** Debian package and executables per kind (Debian 12 package names). */
export const PACKAGES: Readonly<Record<BinaryKind, { pkg: string; executables: readonly string[] }>> = {
  mariadb: { pkg: "mariadb-server", executables: ["mariadbd", "mariadb-install-db"] },
  redis: { pkg: "redis-server", executables: ["redis-server"] },
  nats: { pkg: "nats-server", executables: ["nats-server"] },
  chromium: { pkg: "chromium", executables: ["chromium"] },
};

/** Runs one command, reporting each output line; resolves with the exit code. */
export type CommandRunner = (cmd: string, args: readonly string[], log: (line: string) => void) => Promise<number>;

/** Options of {@link ensureBinaries}; all but `log` exist so tests can fake the machine. */
export interface EnsureOptions {
  log: (line: string) => void;
  /** Directories searched for executables (default: PATH plus the sbin/bin directories). */
  searchPath?: readonly string[];
  getuid?: () => number | undefined;
  runner?: CommandRunner;
}

/**
 * Default search path. /usr/sbin is appended explicitly because Debian puts mariadbd and
 * nats-server there and a non-login root shell (or a CI runner) often has no sbin on PATH.
 */
export function defaultSearchPath(): string[] {
  const fromEnv = (process.env.PATH ?? "").split(delimiter).filter(Boolean);
  const extra = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];
  return [...new Set([...fromEnv, ...extra])];
}

/** Absolute path of an executable file called `name` in `searchPath`, or undefined. */
export function findExecutable(name: string, searchPath: readonly string[] = defaultSearchPath()): string | undefined {
  for (const dir of searchPath) {
    const candidate = join(dir, name);
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here: keep looking
    }
  }
  return undefined;
}

const defaultRunner: CommandRunner = (cmd, args, log) =>
  new Promise((resolve, reject) => {
    // noninteractive: debconf must never wait for a terminal that a test run does not have
    const child = spawn(cmd, args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on("line", (line) => log(`  ${cmd}: ${line}`));
    }
    child.once("error", reject);
    child.once("close", (code) => resolve(code ?? 1));
  });

// apt-get holds a dpkg lock, so concurrent callers (startInfra starts three servers at once) are
// chained on one promise; `apt-get update` is slow and needed once per process at most.
let queue: Promise<unknown> = Promise.resolve();
let aptUpdated = false;

/**
 * Makes sure the executables of `kinds` exist and returns their absolute paths by executable
 * name. Missing ones are installed with apt-get in ONE call when running as root; otherwise an
 * Error names the Debian packages to install.
 */
export function ensureBinaries(kinds: readonly BinaryKind[], opts: EnsureOptions): Promise<Record<string, string>> {
  const run = queue.then(() => ensureNow(kinds, opts));
  queue = run.catch(() => undefined);
  return run;
}

async function ensureNow(kinds: readonly BinaryKind[], opts: EnsureOptions): Promise<Record<string, string>> {
  const searchPath = opts.searchPath ?? defaultSearchPath();
  const lookup = (): { found: Record<string, string>; missing: string[] } => {
    const found: Record<string, string> = {};
    const missing = new Set<string>();
    for (const kind of kinds) {
      for (const exe of PACKAGES[kind].executables) {
        const path = findExecutable(exe, searchPath);
        if (path) found[exe] = path;
        else missing.add(PACKAGES[kind].pkg);
      }
    }
    return { found, missing: [...missing] };
  };

  const first = lookup();
  if (first.missing.length === 0) return first.found;

  const uid = (opts.getuid ?? (() => process.getuid?.()))();
  if (uid !== 0) {
    throw new Error(
      `harness: missing server executables; install the Debian package(s): ` +
        `sudo apt-get install -y --no-install-recommends ${first.missing.join(" ")}`,
    );
  }
  const runner = opts.runner ?? defaultRunner;
  const apt = async (args: string[]): Promise<void> => {
    opts.log(`harness: running apt-get ${args.join(" ")}`);
    const code = await runner("apt-get", args, opts.log);
    if (code !== 0) throw new Error(`harness: apt-get ${args.join(" ")} failed with exit code ${code}`);
  };
  if (!aptUpdated) {
    await apt(["update"]);
    aptUpdated = true;
  }
  await apt(["install", "-y", "--no-install-recommends", ...first.missing]);

  const second = lookup();
  if (second.missing.length > 0) {
    throw new Error(`harness: installed ${second.missing.join(" ")} but the executables are still not found`);
  }
  return second.found;
}

/** Test hook: forget that `apt-get update` already ran in this process. */
export function resetAptStateForTests(): void {
  aptUpdated = false;
}
