/**
 * Summarises a V8 CPU profile (`node --cpu-prof`, e.g. from `BENCH_PROFILE=dir make bench`): self
 * time by area (our code, each npm package, Node's internals, GC) and the hottest functions.
 *
 *   node --import tsx bench/profile-summary.ts DIR/CPU.*.cpuprofile [--top=30]
 */
import { readFileSync } from "node:fs";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Where a function lives: `platform/rpc`, `pkg @connectrpc/connect`, `node:http`, `(gc)`. */
export function area(url: string, fn: string): string {
  if (url === "") return fn.startsWith("(") ? fn : "(native)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return `pkg ${pkg[1]}`;
  if (url.startsWith("node:"))
    return url
      .replace(/^node:internal\//, "node:")
      .split("/")
      .slice(0, 2)
      .join("/");
  const own = /\/(platform|services|gen|cmd|bench)\/([^/]+)/.exec(url);
  if (own) return own[1] === "platform" || own[1] === "services" ? `${own[1]}/${own[2]}` : own[1]!;
  return url;
}

export function summariseProfile(p: Profile, top = 30): string[] {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  // Self time per node from the samples (hitCount is not always filled in).
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = [...self.entries()]
    .filter(([id]) => byId.get(id)?.callFrame.functionName === "(idle)")
    .reduce((a, [, t]) => a + t, 0);
  const busy = total - idle;
  const areas = new Map<string, number>();
  const fns = new Map<string, number>();
  for (const [id, t] of self) {
    const n = byId.get(id)!;
    const { functionName: f, url, lineNumber } = n.callFrame;
    if (f === "(idle)") continue;
    const a = area(url, f);
    areas.set(a, (areas.get(a) ?? 0) + t);
    const short = url
      .replace(/^.*node_modules\//, "")
      .replace(/^file:\/\/.*?\/(platform|services|gen|bench|cmd)\//, "$1/");
    const key = `${f || "(anonymous)"}  ${short}${url ? `:${lineNumber + 1}` : ""}`;
    fns.set(key, (fns.get(key) ?? 0) + t);
  }
  const share = (t: number) => `${((100 * t) / busy).toFixed(1).padStart(5)}%`;
  const lines = [
    `profile: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (shares below are of busy time)`,
    "",
    "self time by area:",
  ];
  for (const [a, t] of [...areas].sort((x, y) => y[1] - x[1]).slice(0, 25)) lines.push(`  ${share(t)}  ${a}`);
  lines.push("", `hottest functions (self time, top ${top}):`);
  for (const [f, t] of [...fns].sort((x, y) => y[1] - x[1]).slice(0, top)) lines.push(`  ${share(t)}  ${f}`);
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const files = process.argv.slice(2).filter((a) => !a.startsWith("--"));
  const top = Number(/--top=(\d+)/.exec(process.argv.join(" "))?.[1] ?? 30);
  for (const f of files) {
    process.stdout.write(
      `== ${f}\n${summariseProfile(JSON.parse(readFileSync(f, "utf8")) as Profile, top).join("\n")}\n`,
    );
  }
}
