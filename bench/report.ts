/**
 * The request-path part of the `make bench` report: each figure as a ratio to the references
 * measured in the same run, the run's validity (can the generator drive bare node:http to at
 * least twice the minimal connect-node rate?) and each target, met or not.
 */
import type { Figure } from "./generators.js";
import type { Scenario } from "./scenarios.js";

/** The median figure of a scenario's rounds, with the spread of its rate. */
export interface Summary {
  scenario: Scenario;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  minRps: number;
  maxRps: number;
  errors: number;
  generators: string;
  /** Median server CPU time per request (µs), NaN when unknown. */
  cpuUs: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export function summarise(scenario: Scenario, figures: Figure[]): Summary {
  return {
    scenario,
    rps: median(figures.map((f) => f.rps)),
    p50Ms: median(figures.map((f) => f.p50Ms)),
    p99Ms: median(figures.map((f) => f.p99Ms)),
    minRps: Math.min(...figures.map((f) => f.rps)),
    maxRps: Math.max(...figures.map((f) => f.rps)),
    errors: figures.reduce((a, f) => a + f.errors, 0),
    generators: [...new Set(figures.map((f) => f.generator))].join("+"),
    cpuUs: median(figures.map((f) => f.cpuUsPerRequest ?? Number.NaN)),
  };
}

const pct = (x: number) => `${(x * 100).toFixed(0)}%`;

export interface Verdict {
  lines: string[];
  /** False when a generator could not reach 2× the minimal connect-node rate against bare node:http. */
  valid: boolean;
  errors: number;
}

/** Formats the table, the validity check and the targets. */
export function report(all: Summary[]): Verdict {
  const lines: string[] = [];
  let valid = true;
  const by = new Map(all.map((s) => [s.scenario.key, s]));
  const targets: string[] = [];
  for (const protocol of ["h1", "h2"] as const) {
    const rows = all.filter((s) => s.scenario.protocol === protocol);
    if (rows.length === 0) continue;
    const bare = by.get(`${protocol}.bare`);
    const minimal = by.get(`${protocol}.minimal.empty`);
    lines.push(
      `${(protocol === "h1" ? "HTTP/1.1, Connect/JSON (wrk)" : "h2c, gRPC (h2load)").padEnd(52)}` +
        "   req/s ÷minimal  ÷bare   p50 ms   p99 ms p99÷min  CPU µs/req ÷min  rounds (req/s)",
    );
    for (const s of rows) {
      const vsMin = minimal ? pct(s.rps / minimal.rps) : "-";
      const vsBare = bare ? pct(s.rps / bare.rps) : "-";
      const p99Ratio = minimal ? `${(s.p99Ms / minimal.p99Ms).toFixed(2)}×` : "-";
      const cpu = Number.isFinite(s.cpuUs) ? s.cpuUs.toFixed(0) : "-";
      const cpuRatio =
        minimal && Number.isFinite(s.cpuUs / minimal.cpuUs) ? `${(s.cpuUs / minimal.cpuUs).toFixed(2)}×` : "-";
      const notes = `${s.errors > 0 ? `  ${s.errors} ERRORS` : ""}${s.generators !== "wrk" && s.generators !== "h2load" ? ` (${s.generators} client)` : ""}`;
      lines.push(
        `  ${s.scenario.label.padEnd(50)} ${s.rps.toFixed(0).padStart(7)} ${vsMin.padStart(8)} ${vsBare.padStart(6)} ` +
          `${s.p50Ms.toFixed(2).padStart(8)} ${s.p99Ms.toFixed(2).padStart(8)} ${p99Ratio.padStart(7)} ` +
          `${cpu.padStart(11)} ${cpuRatio.padStart(5)}  ${s.minRps.toFixed(0)}–${s.maxRps.toFixed(0)}${notes}`,
      );
    }
    if (bare && minimal) {
      const ok = bare.rps >= 2 * minimal.rps;
      if (!ok) valid = false;
      lines.push(
        `  generator check: bare ${bare.rps.toFixed(0)}/s ${ok ? "≥" : "<"} 2 × minimal ${minimal.rps.toFixed(0)}/s → ${ok ? "valid" : "INVALID RUN (the generator or the box is the limit)"}`,
      );
    }
    lines.push("");
    // Targets: empty RPC ≥ 80 % and warm GetEvent ≥ 70 % of minimal; p99 ≤ 1.5 × minimal's; gRPC within 10 points.
    const slack = protocol === "h2" ? 0.1 : 0;
    const name = protocol === "h1" ? "Connect/JSON" : "gRPC";
    const empty = by.get(`${protocol}.ours.empty`);
    const event = by.get(`${protocol}.ours.event`);
    if (minimal === undefined) continue;
    const check = (label: string, ok: boolean, detail: string) =>
      targets.push(`  ${ok ? "met    " : "NOT met"}  ${label.padEnd(50)} ${detail}`);
    if (empty) {
      const want = 0.8 - slack;
      check(
        `${name}: empty RPC ≥ ${pct(want)} of minimal`,
        empty.rps / minimal.rps >= want,
        pct(empty.rps / minimal.rps),
      );
    }
    if (event) {
      const want = 0.7 - slack;
      check(
        `${name}: warm GetEvent ≥ ${pct(want)} of minimal`,
        event.rps / minimal.rps >= want,
        pct(event.rps / minimal.rps),
      );
    }
    for (const s of [empty, event]) {
      if (s === undefined) continue;
      const r = s.p99Ms / minimal.p99Ms;
      check(
        `${name}: ${s === empty ? "empty RPC" : "warm GetEvent"} p99 ≤ 1.5 × minimal's`,
        r <= 1.5,
        `${r.toFixed(2)}×`,
      );
    }
  }
  lines.push("Targets (this run):", ...targets);
  if (!valid) lines.push("  (the run is INVALID: the figures above do not judge the targets)");
  return { lines, valid, errors: all.reduce((a, s) => a + s.errors, 0) };
}
