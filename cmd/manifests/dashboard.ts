/**
 * The on-sale Grafana dashboard, shipped as a ConfigMap the Grafana sidecar (kube-prometheus-stack's
 * `grafana.sidecar.dashboards`) loads by its `grafana_dashboard` label. Every panel's query names
 * only metrics the program exports (test/deploy/metrics.test.ts).
 */
import type { ManifestObject } from "./render.js";

/** Labels of the monitoring objects; a Prometheus's ruleSelector must match them (docs/deploy.md). */
export const monitoringLabels = {
  "app.kubernetes.io/part-of": "boxoffice",
  "app.kubernetes.io/component": "monitoring",
};

const ticket = 'service="boxoffice.ticket.v1.TicketService"';
const rate = "$__rate_interval";

interface Panel {
  title: string;
  description: string;
  unit: string;
  /** Legend → PromQL. */
  targets: Record<string, string>;
  kind?: "timeseries" | "stat";
  stacked?: boolean;
  /** Thresholds of a stat panel: [value, color] from the lowest. */
  steps?: [number | null, string][];
  max?: number;
}

/** The rows of the dashboard, top to bottom. */
function rows(): [string, Panel[]][] {
  return [
    [
      "Buyers",
      [
        {
          title: "Holds by answer",
          description:
            "HoldSeats answers per second by code: ok are holds granted; failed_precondition are refusals (sold out, limit reached, not on sale); resource_exhausted is shedding.",
          unit: "reqps",
          stacked: true,
          targets: {
            "{{code}}": `sum by (code) (rate(rpc_server_handled_total{${ticket}, method="HoldSeats"}[${rate}]))`,
          },
        },
        {
          title: "Checkout latency",
          description:
            "Checkout's answer time (p50, p99): it waits for the charge up to BOXOFFICE_TICKET_CHECKOUT_WAIT_MS, then answers PENDING_PAYMENT.",
          unit: "s",
          targets: {
            p50: `histogram_quantile(0.5, sum by (le) (rate(rpc_server_handling_seconds_bucket{${ticket}, method="Checkout"}[${rate}])))`,
            p99: `histogram_quantile(0.99, sum by (le) (rate(rpc_server_handling_seconds_bucket{${ticket}, method="Checkout"}[${rate}])))`,
          },
        },
        {
          title: "Checkouts by answer",
          description: "Checkout answers per second by code.",
          unit: "reqps",
          stacked: true,
          targets: {
            "{{code}}": `sum by (code) (rate(rpc_server_handled_total{${ticket}, method="Checkout"}[${rate}]))`,
          },
        },
      ],
    ],
    [
      "Payments and orders",
      [
        {
          title: "Payment outcomes",
          description:
            "Answers to Charge: succeeded, failed (declined), or the error's code (unavailable: provider down or outcome unknown).",
          unit: "reqps",
          stacked: true,
          targets: { "{{outcome}}": "sum by (outcome) (rate(payment_charge_answers_total[$__rate_interval]))" },
        },
        {
          title: "Orders waiting for payment",
          description:
            "PENDING_PAYMENT orders and the age of the oldest; reconciliation settles each within the payment timeout.",
          unit: "short",
          targets: { pending: "max(ticket_pending_orders)", "oldest (s)": "max(ticket_pending_order_oldest_seconds)" },
        },
        {
          title: "Circuit breakers",
          description: "0 closed, 1 half-open (one trial call), 2 open (calls fail fast with UNAVAILABLE).",
          unit: "short",
          kind: "stat",
          max: 2,
          steps: [
            [null, "green"],
            [1, "orange"],
            [2, "red"],
          ],
          targets: { "{{caller}} → {{target}}": "max by (caller, target) (circuit_breaker_state)" },
        },
      ],
    ],
    [
      "Events and caches",
      [
        {
          title: "Consumer lag",
          description:
            "Events in the stream not yet delivered to each consumer, and delivered but not yet acknowledged.",
          unit: "short",
          targets: {
            "{{consumer}}": "max by (consumer) (bus_consumer_lag)",
            "{{consumer}} unacked": "max by (consumer) (bus_consumer_ack_pending)",
          },
        },
        {
          title: "Dead letters",
          description:
            "Events moved to the dead-letter stream per consumer (increase over 5 minutes); each has its reason.",
          unit: "short",
          targets: { "{{consumer}}": "sum by (consumer) (increase(bus_consumer_dead_letters_total[5m]))" },
        },
        {
          title: "Cache hit ratio",
          description: "Reads answered from the local or Redis copy, per cache.",
          unit: "percentunit",
          max: 1,
          targets: {
            "{{cache}}": `sum by (cache) (rate(cache_requests_total{result=~"hit_local|hit_redis|negative_hit|stale"}[${rate}])) / sum by (cache) (rate(cache_requests_total[${rate}]))`,
          },
        },
      ],
    ],
    [
      "Capacity",
      [
        {
          title: "Load shed",
          description:
            "Calls refused before running, by reason and admission tier: overloaded (RESOURCE_EXHAUSTED at the tier's share of BOXOFFICE_MAX_INFLIGHT: sheddable reads first, critical calls last), draining (UNAVAILABLE during shutdown), too_many_streams.",
          unit: "reqps",
          stacked: true,
          targets: { "{{reason}} {{tier}}": `sum by (reason, tier) (rate(rpc_server_shed_total[${rate}]))` },
        },
        {
          title: "Calls in flight",
          description: "RPCs in progress per service (summed over pods).",
          unit: "short",
          targets: { "{{service}}": "sum by (service) (rpc_server_inflight)" },
        },
        {
          title: "Server-side errors",
          description:
            "Share of calls per service that ended INTERNAL, UNKNOWN, DATA_LOSS, UNAVAILABLE or DEADLINE_EXCEEDED.",
          unit: "percentunit",
          targets: {
            "{{service}}": `sum by (service) (rate(rpc_server_handled_total{code=~"internal|unknown|data_loss|unavailable|deadline_exceeded"}[${rate}])) / sum by (service) (rate(rpc_server_handled_total[${rate}]))`,
          },
        },
      ],
    ],
  ];
}

/** The dashboard's data source picker (the `datasource` variable). */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a template literal
const datasource = { type: "prometheus", uid: "${datasource}" };

function panelJson(p: Panel, id: number, x: number, y: number): Record<string, unknown> {
  const kind = p.kind ?? "timeseries";
  return {
    id,
    type: kind,
    title: p.title,
    description: p.description,
    datasource,
    gridPos: { h: 8, w: 8, x, y },
    fieldConfig: {
      defaults: {
        unit: p.unit,
        ...(p.max === undefined ? {} : { min: 0, max: p.max }),
        ...(kind === "timeseries"
          ? {
              custom: {
                drawStyle: "line",
                fillOpacity: p.stacked ? 30 : 10,
                stacking: { mode: p.stacked ? "normal" : "none" },
              },
            }
          : {}),
        ...(p.steps === undefined
          ? {}
          : { thresholds: { mode: "absolute", steps: p.steps.map(([value, color]) => ({ value, color })) } }),
      },
      overrides: [],
    },
    options:
      kind === "stat"
        ? { colorMode: "background", graphMode: "none", reduceOptions: { calcs: ["lastNotNull"] } }
        : { legend: { displayMode: "list", placement: "bottom" }, tooltip: { mode: "multi" } },
    targets: Object.entries(p.targets).map(([legend, expr], i) => ({
      refId: String.fromCharCode(65 + i),
      datasource,
      expr,
      legendFormat: legend,
    })),
  };
}

/** The dashboard's JSON model (Grafana 10+). */
export function onsaleDashboard(): Record<string, unknown> {
  const panels: Record<string, unknown>[] = [];
  let id = 1;
  let y = 0;
  for (const [title, row] of rows()) {
    panels.push({ id: id++, type: "row", title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y } });
    y += 1;
    row.forEach((p, i) => {
      panels.push(panelJson(p, id++, i * 8, y));
    });
    y += 8;
  }
  return {
    uid: "boxoffice-onsale",
    title: "Boxoffice: on-sale",
    description: "An on-sale as it happens: holds, checkouts, payments, events, caches and capacity (docs/deploy.md).",
    tags: ["boxoffice"],
    timezone: "browser",
    schemaVersion: 39,
    version: 1,
    editable: false,
    refresh: "10s",
    time: { from: "now-30m", to: "now" },
    templating: {
      list: [{ name: "datasource", label: "Prometheus", type: "datasource", query: "prometheus", current: {} }],
    },
    annotations: { list: [] },
    panels,
  };
}

/** Every PromQL query of the dashboard (the metrics test reads them). */
export function dashboardQueries(dashboard: Record<string, unknown> = onsaleDashboard()): string[] {
  const panels = (dashboard.panels ?? []) as { targets?: { expr: string }[] }[];
  return panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
}

/** The ConfigMap the Grafana sidecar imports (label grafana_dashboard: "1"). */
export function dashboardConfigMap(): ManifestObject {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: "boxoffice-onsale-dashboard",
      labels: { ...monitoringLabels, grafana_dashboard: "1" },
    },
    data: { "boxoffice-onsale.json": `${JSON.stringify(onsaleDashboard(), null, 2)}\n` },
  };
}
