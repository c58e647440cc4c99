/**
 * PromQL in the monitoring objects against the metrics the program exports: each query parsed with
 * Prometheus's own grammar (@prometheus-io/lezer-promql), its metric names read from the vector
 * selectors, each name looked up in a scrape of a running process.
 */
import { parser } from "@prometheus-io/lezer-promql";
import type { K8sObject } from "./kustomize.js";
import { distance } from "./models.js";
import { type Problem, problem } from "./problems.js";

/** One PromQL query and where it lives (an alert, a dashboard panel). */
export interface Query {
  readonly object: K8sObject;
  readonly where: string;
  readonly expr: string;
}

/** Grafana's interval variables, replaced by a duration so the query parses as PromQL. */
const grafanaDurations = /\$__(rate_interval|interval|range)\b/g;

/** The metric names a query selects, or its syntax errors. */
export function metricNamesOf(expr: string): { names: string[]; errors: string[] } {
  const text = expr.replace(grafanaDurations, "5m");
  const names: string[] = [];
  const errors: string[] = [];
  parser.parse(text).iterate({
    enter(n) {
      if (n.type.isError)
        errors.push(`syntax error at ${n.from}: …${text.slice(Math.max(0, n.from - 20), n.from + 20)}…`);
      if (n.type.name === "Identifier" && n.node.parent?.type.name === "VectorSelector")
        names.push(text.slice(n.from, n.to));
    },
  });
  return { names, errors };
}

/** Every metric name a Prometheus text exposition offers (histograms as their _bucket/_sum/_count series). */
export function exportedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split("\n")) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type !== null) {
      const [, name, kind] = type as unknown as [string, string, string];
      names.add(name);
      if (kind === "histogram") for (const s of ["_bucket", "_sum", "_count"]) names.add(name + s);
      if (kind === "summary") for (const s of ["_sum", "_count"]) names.add(name + s);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line);
    if (sample?.[1] !== undefined) names.add(sample[1]);
  }
  return names;
}

/** The queries of the monitoring objects: each PrometheusRule's rules and each dashboard ConfigMap's panels. */
export function queriesOf(objects: readonly K8sObject[]): Query[] {
  const out: Query[] = [];
  for (const o of objects) {
    if (o.kind === "PrometheusRule") {
      const groups = (
        o.spec as { groups?: { name: string; rules?: { alert?: string; record?: string; expr: string }[] }[] }
      ).groups;
      for (const g of groups ?? [])
        for (const r of g.rules ?? [])
          out.push({ object: o, where: `rule ${g.name}/${r.alert ?? r.record}`, expr: String(r.expr) });
    }
    if (o.kind === "ConfigMap" && o.metadata.labels?.grafana_dashboard !== undefined) {
      for (const [file, text] of Object.entries((o.data as Record<string, string> | undefined) ?? {})) {
        const dashboard = JSON.parse(text) as {
          panels?: { title?: string; targets?: { refId?: string; expr?: string }[] }[];
        };
        for (const p of dashboard.panels ?? [])
          for (const t of p.targets ?? [])
            if (t.expr !== undefined)
              out.push({ object: o, where: `${file} panel "${p.title}" target ${t.refId}`, expr: t.expr });
      }
    }
  }
  return out;
}

/** A problem per query that does not parse or names a metric the program does not export. */
export function unknownMetrics(queries: readonly Query[], exported: ReadonlySet<string>): Problem[] {
  const out: Problem[] = [];
  for (const q of queries) {
    const { names, errors } = metricNamesOf(q.expr);
    for (const e of errors) out.push(problem("promql", q.object, `${q.where}: ${e} in ${q.expr}`));
    if (errors.length === 0 && names.length === 0)
      out.push(problem("promql", q.object, `${q.where}: selects no metric: ${q.expr}`));
    for (const n of names) {
      if (exported.has(n)) continue;
      const near = [...exported].map((e) => [e, distance(n, e)] as const).sort((a, b) => a[1] - b[1])[0];
      const hint = near !== undefined && near[1] <= 4 ? ` (did you mean ${near[0]}?)` : "";
      out.push(problem("promql", q.object, `${q.where}: metric ${n} is not exported by the program${hint}`));
    }
  }
  return out;
}
