/**
 * The request-path part of the `make bench` report: each figure as a ratio to the references
 * measured in the same run, the run's validity (can the generator drive bare node:http to at
 * least twice the minimal connect-node rate?) and each target, met or not.
 *
 * Ratios are taken round by round — a figure against the references of its own round, measured
 * seconds apart — and the median of those is reported: on a shared machine a neighbour's burst
 * then moves both sides of a ratio instead of one.
 */
import type { Figure } from "./generators.js";
import type { Scenario } from "./scenarios.js";

/** A scenario's figures, one per round (same order as every other scenario's). */
export interface Measured {
  scenario: Scenario;
  rounds: Figure[];
}

const median = (xs: number[]) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** The median over rounds of `f(this round's figure, the reference's figure of the same round)`. */
function perRound(m: Measured, ref: Measured | undefined, f: (x: Figure, r: Figure) => number): number {
  if (ref === undefined) return Number.NaN;
  return median(m.rounds.map((x, i) => (ref.rounds[i] === undefined ? Number.NaN : f(x, ref.rounds[i]!))));
}

const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(0)}%` : "-");
const times = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : "-");

export interface Verdict {
  lines: string[];
  /** False when a generator could not reach 2× the minimal connect-node rate against bare node:http. */
  valid: boolean;
  errors: number;
  /** Median rate of each scenario, by key. */
  rates: Map<string, number>;
}

/** Formats the table, the validity check and the targets. */
export function report(all: Measured[]): Verdict {
  const lines: string[] = [];
  const targets: string[] = [];
  const rates = new Map<string, number>();
  let valid = true;
  let errors = 0;
  const by = new Map(all.map((m) => [m.scenario.key, m]));
  for (const protocol of ["h1", "h2"] as const) {
    const rows = all.filter((m) => m.scenario.protocol === protocol);
    if (rows.length === 0) continue;
    const bare = by.get(`${protocol}.bare`);
    const minimal = by.get(`${protocol}.minimal.empty`);
    lines.push(
      `${(protocol === "h1" ? "HTTP/1.1, Connect/JSON (wrk)" : "h2c, gRPC (h2load)").padEnd(52)}` +
        "   req/s ÷minimal  ÷bare   p50 ms   p99 ms p99÷min  CPU µs/req ÷min  rounds (req/s)",
    );
    for (const m of rows) {
      const rps = median(m.rounds.map((f) => f.rps));
      rates.set(m.scenario.key, rps);
      const failed = m.rounds.reduce((a, f) => a + f.errors, 0);
      errors += failed;
      const gens = [...new Set(m.rounds.map((f) => f.generator))].join("+");
      const notes = `${failed > 0 ? `  ${failed} ERRORS` : ""}${gens !== "wrk" && gens !== "h2load" ? ` (${gens} client)` : ""}`;
      const cpu = median(m.rounds.map((f) => f.cpuUsPerRequest ?? Number.NaN));
      lines.push(
        `  ${m.scenario.label.padEnd(50)} ${rps.toFixed(0).padStart(7)} ` +
          `${pct(perRound(m, minimal, (x, r) => x.rps / r.rps)).padStart(8)} ` +
          `${pct(perRound(m, bare, (x, r) => x.rps / r.rps)).padStart(6)} ` +
          `${median(m.rounds.map((f) => f.p50Ms))
            .toFixed(2)
            .padStart(8)} ` +
          `${median(m.rounds.map((f) => f.p99Ms))
            .toFixed(2)
            .padStart(8)} ` +
          `${times(perRound(m, minimal, (x, r) => x.p99Ms / r.p99Ms)).padStart(7)} ` +
          `${(Number.isFinite(cpu) ? cpu.toFixed(0) : "-").padStart(11)} ` +
          `${times(perRound(m, minimal, (x, r) => (x.cpuUsPerRequest ?? Number.NaN) / (r.cpuUsPerRequest ?? Number.NaN))).padStart(5)}  ` +
          `${m.rounds.map((f) => f.rps.toFixed(0)).join(" ")}${notes}`,
      );
    }
    if (bare && minimal) {
      const headroom = perRound(bare, minimal, (x, r) => x.rps / r.rps);
      const ok = headroom >= 2;
      if (!ok) valid = false;
      lines.push(
        `  generator check: bare node:http ${times(headroom)} the minimal connect-node rate (needs ≥ 2×) → ${ok ? "valid" : "INVALID RUN (the generator or the box is the limit)"}`,
      );
    }
    lines.push("");
    if (minimal === undefined) continue;
    // Targets: empty RPC ≥ 80 % and warm GetEvent ≥ 70 % of minimal; p99 ≤ 1.5 × minimal's; gRPC within 10 points.
    const slack = protocol === "h2" ? 0.1 : 0;
    const name = protocol === "h1" ? "Connect/JSON" : "gRPC";
    const check = (label: string, ok: boolean, detail: string) =>
      targets.push(`  ${ok ? "met    " : "NOT met"}  ${label.padEnd(50)} ${detail}`);
    const cases = [
      { m: by.get(`${protocol}.ours.empty`), what: "empty RPC", want: 0.8 - slack },
      { m: by.get(`${protocol}.ours.event`), what: "warm GetEvent", want: 0.7 - slack },
    ];
    for (const { m, what, want } of cases) {
      if (m === undefined) continue;
      const r = perRound(m, minimal, (x, ref) => x.rps / ref.rps);
      check(
        `${name}: ${what} ≥ ${pct(want)} of minimal`,
        r >= want,
        Number.isFinite(r) ? `${(r * 100).toFixed(1)}%` : "-",
      );
    }
    for (const { m, what } of cases) {
      if (m === undefined) continue;
      const r = perRound(m, minimal, (x, ref) => x.p99Ms / ref.p99Ms);
      check(`${name}: ${what} p99 ≤ 1.5 × minimal's`, r <= 1.5, times(r));
    }
  }
  lines.push("Targets (this run; medians of per-round ratios):", ...targets);
  if (!valid) lines.push("  (the run is INVALID: the figures above do not judge the targets)");
  return { lines, valid, errors, rates };
}
