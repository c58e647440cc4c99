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

/** Self time of functions named `name`, by the chain of callers above them (`depth` frames). */
export function callersOf(p: Profile, name: string, depth = 4): string[] {
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++)
    self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  const chains = new Map<string, number>();
  let total = 0;
  for (const [id, t] of self) {
    if (byId.get(id)?.callFrame.functionName !== name) continue;
    total += t;
    const frames: string[] = [];
    for (let cur = parent.get(id); cur !== undefined && frames.length < depth; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      frames.push(`${f.functionName || "(anonymous)"}@${f.url.replace(/^.*\//, "")}:${f.lineNumber + 1}`);
    }
    const key = frames.join(" < ");
    chains.set(key, (chains.get(key) ?? 0) + t);
  }
  return [
    `${name}: ${(total / 1e6).toFixed(2)} s self time, by callers`,
    ...[...chains]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)
      .map(([k, t]) => `  ${((100 * t) / total).toFixed(1).padStart(5)}%  ${k}`),
  ];
}

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}

/** Bytes allocated by function (self), from a sampling heap profile (bench/alloc-profile.ts). */
export function summariseAllocations(p: { head: HeapNode }, top = 30): string[] {
  const byFn = new Map<string, number>();
  const byArea = new Map<string, number>();
  let total = 0;
  const walk = (n: HeapNode) => {
    const { functionName: f, url, lineNumber } = n.callFrame;
    if (n.selfSize > 0) {
      total += n.selfSize;
      const short = url
        .replace(/^.*node_modules\//, "")
        .replace(/^file:\/\/.*?\/(platform|services|gen|bench|cmd)\//, "$1/");
      const key = `${f || "(anonymous)"}  ${short}${url ? `:${lineNumber + 1}` : ""}`;
      byFn.set(key, (byFn.get(key) ?? 0) + n.selfSize);
      const a = area(url, f);
      byArea.set(a, (byArea.get(a) ?? 0) + n.selfSize);
    }
    for (const c of n.children) walk(c);
  };
  walk(p.head);
  const share = (b: number) => `${((100 * b) / total).toFixed(1).padStart(5)}%`;
  return [
    `allocations sampled: ${(total / 2 ** 20).toFixed(0)} MiB`,
    "",
    "by area:",
    ...[...byArea]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 20)
      .map(([k, b]) => `  ${share(b)}  ${k}`),
    "",
    `by function (top ${top}):`,
    ...[...byFn]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, b]) => `  ${share(b)}  ${k}`),
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const files = process.argv.slice(2).filter((a) => !a.startsWith("--"));
  const top = Number(/--top=(\d+)/.exec(process.argv.join(" "))?.[1] ?? 30);
  const callers = /--callers=(.+?)(?: --|$)/.exec(process.argv.slice(2).join(" "))?.[1];
  for (const f of files) {
    const profile = JSON.parse(readFileSync(f, "utf8")) as Profile;
    const lines = process.argv.includes("--heap")
      ? summariseAllocations(profile as unknown as { head: HeapNode }, top)
      : callers
        ? callersOf(profile, callers, 5)
        : summariseProfile(profile, top);
    process.stdout.write(`== ${f}\n${lines.join("\n")}\n`);
  }
}
