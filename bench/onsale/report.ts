/**
 * The run's outputs: the console summary, a self-contained HTML report (inline SVG charts, inline
 * CSS, nothing fetched) and the JSON behind it, plus each chart as its own .svg for the docs.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { OnsaleSummary, Target } from "./summary.js";
import { esc, lineChart } from "./svg.js";

const n0 = (v: number) => v.toFixed(0);
const pct = (v: number) => `${(v * 100).toFixed(1)} %`;

/** The three charts the report and the docs show, as SVG text. */
export function charts(s: OnsaleSummary): Record<"throughput" | "latency" | "inflight", string> {
  const title = (what: string) => `${what} — ${s.mode === "all" ? "all-in-one" : "split"}, ${s.buyers} buyers`;
  return {
    throughput: lineChart(
      [
        { name: "holds/s", points: s.series.throughput.holds },
        { name: "purchases/s", points: s.series.throughput.purchases },
      ],
      {
        title: title("Throughput"),
        xLabel: "seconds since the sales start",
        yLabel: "per second (1 s windows)",
        marks: [
          { y: 200, label: "target 200 purchases/s", color: "#2ca02c" },
          ...(s.ceilings
            ? [{ y: s.ceilings.holds.perSec, label: `hold ceiling ${n0(s.ceilings.holds.perSec)}/s`, color: "#888" }]
            : []),
        ],
      },
    ),
    latency: lineChart(
      [
        { name: "p50", points: s.series.latency.p50 },
        { name: "p90", points: s.series.latency.p90 },
        { name: "p99", points: s.series.latency.p99 },
      ],
      {
        title: title("Hold-to-confirmed latency (sandbox_ok)"),
        xLabel: "seconds since the sales start (by confirmation time)",
        yLabel: "ms",
        marks: [{ y: 250, label: "target p99 250 ms", color: "#2ca02c" }],
      },
    ),
    inflight: lineChart(
      [
        { name: "buyers in flight", points: s.series.inflight.buyers },
        { name: "checking out", points: s.series.inflight.checkingOut },
        { name: "max consumer lag", points: s.series.lag, dashed: true },
      ],
      { title: title("In-flight buyers"), xLabel: "seconds since the sales start", yLabel: "buyers / messages" },
    ),
  };
}

/** The console summary. */
export function textSummary(s: OnsaleSummary): string {
  const c = s.ceilings;
  const lines = [
    `On-sale, ${s.mode === "all" ? "all-in-one" : "split mode"}: ${s.buyers} buyers, ${s.places} places, seed ${s.seed}, ${s.durationSec.toFixed(1)} s from the sales start`,
    `  load average       ${s.loadAverage.start.join(" ")} at the start, ${s.loadAverage.end.join(" ")} at the end (${s.loadAverage.cpus} CPUs, shared)`,
    `  holds/s            ${n0(s.holdsPerSec).padStart(7)} sustained, ${n0(s.holdsPeakPerSec)} peak${c ? `   (hold ceiling ${n0(c.holds.perSec)}/s, p99 ${n0(c.holds.p99Ms)} ms; empty RPC ${n0(c.emptyRpc.perSec)}/s)` : ""}`,
    `  purchases/s        ${n0(s.purchasesPerSec).padStart(7)} sustained, ${n0(s.purchasesPeakPerSec)} peak`,
    `  hold-to-confirmed  p50 ${n0(s.holdToConfirmedMs.p50)} ms, p90 ${n0(s.holdToConfirmedMs.p90)} ms, p99 ${n0(s.holdToConfirmedMs.p99)} ms (sandbox_ok, n=${s.holdToConfirmedMs.n})`,
    `  outcomes           ${Object.entries(s.outcomes)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}`,
    `  places sold        ${s.placesSold} of ${s.places}`,
    `  oversold places    ${s.oversoldPlaces}`,
    `  double charges     ${s.doubleCharges}`,
    `  emails             ${s.emails.confirmationEmails} confirmation emails (distinct Message-IDs) for ${s.emails.confirmedOrders} confirmed orders; ${s.emails.emailed} orders have exactly one (sink: ${s.emails.files} .eml, ${s.emails.distinctMessageIds} distinct Message-IDs; queue ${s.emails.drained ? "drained" : "NOT drained"} ${(s.emails.drainMs / 1000).toFixed(1)} s after the last buyer)`,
    `  cache hit ratio    ${pct(s.cache.ratio)} (${s.cache.hits} of ${s.cache.reads} reads)`,
    `  peak consumer lag  ${s.peakConsumerLag.lag}${s.peakConsumerLag.consumer ? ` (${s.peakConsumerLag.consumer})` : ""}`,
    "  answers by code:",
    ...s.answers.map(
      (a) => `    ${a.method.padEnd(16)} ${`${a.code}${a.reason ? ` ${a.reason}` : ""}`.padEnd(36)} ${a.n}`,
    ),
    "  targets:",
    ...s.targets.map(targetLine),
    ...(s.buyerErrors.length > 0 ? ["  buyer errors:", ...s.buyerErrors.map((e) => `    ${e}`)] : []),
  ];
  return lines.join("\n");
}

export function targetLine(t: Target): string {
  return `    ${t.name.padEnd(38)} ${t.target.padEnd(14)} ${t.value.padEnd(14)} ${t.met ? "met" : "NOT met"}`;
}

/** Writes report.json, report.html and the charts into `dir`; returns the HTML's path. */
export function writeReport(dir: string, s: OnsaleSummary, extraTargets: Target[] = []): string {
  mkdirSync(dir, { recursive: true });
  const ch = charts(s);
  for (const [name, svg] of Object.entries(ch)) writeFileSync(join(dir, `${name}.svg`), svg);
  writeFileSync(join(dir, "report.json"), `${JSON.stringify(s, null, 2)}\n`);
  const row = (cells: Array<string | number>) => `<tr>${cells.map((c) => `<td>${esc(String(c))}</td>`).join("")}</tr>`;
  const targets = [...s.targets, ...extraTargets];
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Boxoffice on-sale — ${esc(s.mode)}, ${s.buyers} buyers</title>
<style>
body{font-family:system-ui,Arial,sans-serif;margin:2em auto;max-width:960px;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left}
th{background:#f4f4f4}.met{color:#2a7a2a}.not{color:#b22;font-weight:bold}svg{display:block;margin:1em 0}
</style></head><body>
<h1>On-sale — ${s.mode === "all" ? "all-in-one" : "split mode"}</h1>
<p>${s.buyers} buyers arriving at the sales start of one event (${s.places} places), seed ${s.seed}, started ${esc(s.startedAt)}; ${s.durationSec.toFixed(1)} s from the sales start to the last buyer's end. Load average ${s.loadAverage.start.join(" ")} at the start, ${s.loadAverage.end.join(" ")} at the end, ${s.loadAverage.cpus} CPUs shared with everything else on the machine; load generator and servers on the same CPUs.</p>
<h2>Targets</h2>
<table><tr><th>figure</th><th>target</th><th>this run</th><th></th></tr>
${targets.map((t) => `<tr><td>${esc(t.name)}</td><td>${esc(t.target)}</td><td>${esc(t.value)}</td><td class="${t.met ? "met" : "not"}">${t.met ? "met" : "NOT met"}</td></tr>`).join("\n")}
</table>
<h2>Figures</h2>
<table>
${row(["holds/s (sustained / peak)", `${n0(s.holdsPerSec)} / ${n0(s.holdsPeakPerSec)}`])}
${row(["purchases/s (sustained / peak)", `${n0(s.purchasesPerSec)} / ${n0(s.purchasesPeakPerSec)}`])}
${row(["hold-to-confirmed p50 / p90 / p99 (sandbox_ok)", `${n0(s.holdToConfirmedMs.p50)} / ${n0(s.holdToConfirmedMs.p90)} / ${n0(s.holdToConfirmedMs.p99)} ms (n=${s.holdToConfirmedMs.n})`])}
${s.ceilings ? row(["hold ceiling (same run, closed loop)", `${n0(s.ceilings.holds.perSec)}/s, p99 ${n0(s.ceilings.holds.p99Ms)} ms`]) : ""}
${s.ceilings ? row(["empty RPC ceiling (Health/Check)", `${n0(s.ceilings.emptyRpc.perSec)}/s, p99 ${n0(s.ceilings.emptyRpc.p99Ms)} ms`]) : ""}
${row(["places sold", `${s.placesSold} of ${s.places}`])}
${row(["oversold places", s.oversoldPlaces])}
${row(["double charges", s.doubleCharges])}
${row(["confirmation emails vs confirmed orders", `${s.emails.confirmationEmails} emails (distinct Message-IDs) for ${s.emails.confirmedOrders} orders; ${s.emails.emailed} orders with exactly one (sink: ${s.emails.files} .eml files)`])}
${row(["cache hit ratio", `${pct(s.cache.ratio)} (${s.cache.hits} of ${s.cache.reads})`])}
${row(["peak consumer lag", `${s.peakConsumerLag.lag} ${s.peakConsumerLag.consumer}`])}
</table>
<h2>Charts</h2>
${ch.throughput}
${ch.latency}
${ch.inflight}
<h2>Outcomes</h2>
<table><tr><th>payment token</th>${finalStates.map((f) => `<th>${f}</th>`).join("")}</tr>
${Object.entries(s.byToken)
  .map(([t, o]) => row([t, ...finalStates.map((f) => o[f] ?? 0)]))
  .join("\n")}
</table>
<h2>Answers by code</h2>
<table><tr><th>method</th><th>code</th><th>reason</th><th>count</th><th>p50 / p99 of OK</th></tr>
${s.answers.map((a) => row([a.method, a.code, a.reason, a.n, a.code === "OK" ? `${n0(s.latencyByMethod[a.method]?.p50 ?? 0)} / ${n0(s.latencyByMethod[a.method]?.p99 ?? 0)} ms` : ""])).join("\n")}
</table>
<p>Definitions: bench/onsale/summary.ts. Data: report.json beside this file.</p>
</body></html>
`;
  const file = join(dir, "report.html");
  writeFileSync(file, html);
  return file;
}

const finalStates = ["CONFIRMED", "FAILED", "PENDING_PAYMENT", "CANCELLED", "ABANDONED", "NO_HOLD", "ERROR"] as const;
