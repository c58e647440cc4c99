/**
 * The on-sale's alert rules and dashboard (manifests/components/monitoring, rendered by
 * `boxoffice manifests`) against the program: every PromQL expression parses and names only
 * metrics a running `serve --services=all` exports after a little on-sale traffic; a typo'd copy
 * fails with a message that names the rule or panel and the nearest real metric. The
 * PrometheusRule validates with @kubernetes-models/prometheus-operator.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { pendingOrderBound } from "../../cmd/manifests/alerts.js";
import { clientsOf, ga, grid, publishEvent, stackEnv, startTestProcess } from "../e2e/ticket-kit.js";
import { repoRoot } from "./check/index.js";
import { clone, type K8sObject, parseObjects } from "./check/kustomize.js";
import { unknownFields, validateModels } from "./check/models.js";
import { formatProblems } from "./check/problems.js";
import { exportedNames, metricNamesOf, queriesOf, unknownMetrics } from "./check/promql.js";

const monitoringFile = `${repoRoot}manifests/components/monitoring/generated/monitoring.yaml`;
const objects = (): K8sObject[] => parseObjects(readFileSync(monitoringFile, "utf8"));
const ruleOf = (o: K8sObject[]) => o.find((x) => x.kind === "PrometheusRule") as K8sObject;
const dashboardOf = (o: K8sObject[]) => o.find((x) => x.kind === "ConfigMap") as K8sObject;

describe("deploy: alerts and the on-sale dashboard name only metrics the program exports", function () {
  this.timeout(120_000);
  let exported: Set<string>;
  let scrape: string;

  before(async () => {
    const stack = await stackEnv();
    const proc = await startTestProcess({ env: stack.env, echo: false });
    try {
      // a little on-sale: holds granted and refused, a checkout, the consumers and caches at work
      const ev = await publishEvent(proc, stack.mint, [grid("Stalls", 2, 4), ga("Standing", 4)]);
      const { tickets } = clientsOf(proc);
      const buyer = await stack.mint.as();
      const standing = ev.sections[1] as string;
      const holdGa = (quantity: number) =>
        tickets.holdSeats(
          {
            requestId: randomUUID(),
            eventId: ev.event.id,
            items: [{ kind: { case: "generalAdmission", value: { sectionId: standing, quantity } } }],
          },
          buyer,
        );
      const { hold } = await holdGa(2);
      await assert.rejects(holdGa(50)); // more than the section holds: refused
      await tickets
        .checkout({ requestId: randomUUID(), holdId: hold?.id ?? "", paymentToken: "sandbox_ok" }, buyer)
        .catch(() => undefined); // the answer does not matter here, only that the paths ran
      const res = await fetch(`${proc.adminUrl}/metrics`);
      assert.equal(res.status, 200);
      scrape = await res.text();
      exported = exportedNames(scrape);
    } finally {
      await proc.stop();
    }
  });

  it("the scrape has the platform's and the services' metrics (the comparison is not against an empty set)", () => {
    for (const n of [
      "rpc_server_handled_total",
      "rpc_server_handling_seconds_bucket",
      "bus_consumer_lag",
      "cache_requests_total",
      "circuit_breaker_state",
      "rpc_server_shed_total",
      "payment_charge_answers_total",
      "ticket_pending_order_oldest_seconds",
    ])
      assert.ok(exported.has(n), `${n} missing from /metrics`);
    // read from the database at scrape time, and from the breakers of the clients that were used
    assert.match(scrape, /^ticket_pending_orders \d+$/m);
    assert.match(scrape, /^ticket_pending_order_oldest_seconds [\d.e+-]+$/m);
    assert.match(scrape, /^circuit_breaker_state\{caller="ticket",target="event"\} 0$/m);
  });

  it("every alert rule and every dashboard query parses and names only exported metrics", () => {
    const queries = queriesOf(objects());
    assert.ok(queries.filter((q) => q.where.startsWith("rule ")).length >= 8, "too few alert rules found");
    assert.ok(queries.filter((q) => q.where.includes(" panel ")).length >= 12, "too few dashboard queries found");
    const problems = unknownMetrics(queries, exported);
    assert.equal(problems.length, 0, formatProblems(problems));
  });

  it("a typo'd metric name in a copy of the rules or the dashboard fails, naming the place and the nearest metric", () => {
    const broken = objects().map((o) => clone(o));
    const rule = (ruleOf(broken).spec as { groups: { rules: { alert: string; expr: string }[] }[] }).groups[0]!
      .rules[0]!;
    rule.expr = rule.expr.replace("bus_consumer_lag", "bus_consumer_lagg");
    const cm = dashboardOf(broken);
    const [file, text] = Object.entries(cm.data as Record<string, string>)[0]!;
    (cm.data as Record<string, string>)[file] = text.replace(
      "payment_charge_answers_total",
      "payment_charge_answer_total",
    );
    const messages = formatProblems(unknownMetrics(queriesOf(broken), exported));
    assert.match(
      messages,
      new RegExp(
        `rule boxoffice.onsale/${rule.alert}: metric bus_consumer_lagg is not exported by the program \\(did you mean bus_consumer_lag\\?\\)`,
      ),
    );
    assert.match(
      messages,
      /panel "Payment outcomes" target A: metric payment_charge_answer_total is not exported by the program \(did you mean payment_charge_answers_total\?\)/,
    );
    assert.equal(messages.split("\n").length, 2, messages);
  });

  it("a query that does not parse is reported, not skipped", () => {
    assert.deepEqual(metricNamesOf("sum(rate(rpc_server_handled_total[5m])").errors.length > 0, true);
    assert.deepEqual(metricNamesOf('sum by (code) (rate(rpc_server_handled_total{code="ok"}[$__rate_interval]))'), {
      names: ["rpc_server_handled_total"],
      errors: [],
    });
  });

  it("the PrometheusRule validates with @kubernetes-models/prometheus-operator; a copy with a misplaced field does not", async () => {
    const rule = ruleOf(objects());
    const ok = [...(await validateModels([rule])), ...unknownFields([rule])];
    assert.equal(ok.length, 0, formatProblems(ok));
    const broken = clone(rule);
    const r = (broken.spec as { groups: Record<string, unknown>[] }).groups[0]!;
    r.rules = "not a list";
    r.intervall = "30s";
    const problems = formatProblems([...(await validateModels([broken])), ...unknownFields([broken])]);
    assert.match(problems, /\[model\] PrometheusRule \(cluster\)\/boxoffice-onsale: invalid/);
    assert.match(problems, /unknown field spec\.groups\[0\]\.intervall \(did you mean interval\?\)/);
  });

  it("the dashboard is a Grafana sidecar ConfigMap; the pending-orders alert follows the payment timeout", () => {
    const cm = dashboardOf(objects());
    assert.equal(cm.metadata.labels?.grafana_dashboard, "1");
    const dashboard = JSON.parse(Object.values(cm.data as Record<string, string>)[0]!) as {
      uid: string;
      panels: { title: string }[];
    };
    assert.equal(dashboard.uid, "boxoffice-onsale");
    for (const t of [
      "Holds by answer",
      "Checkout latency",
      "Payment outcomes",
      "Consumer lag",
      "Dead letters",
      "Cache hit ratio",
      "Load shed",
      "Circuit breakers",
    ])
      assert.ok(
        dashboard.panels.some((p) => p.title === t),
        `no panel "${t}"`,
      );
    const stuck = queriesOf([ruleOf(objects())]).find((q) => q.where.endsWith("BoxofficePendingOrdersStuck"));
    assert.equal(stuck?.expr, `max(ticket_pending_order_oldest_seconds) > ${pendingOrderBound().boundSeconds}`);
    assert.ok(pendingOrderBound().boundSeconds > pendingOrderBound().timeoutSeconds);
  });
});
