/**
 * The on-sale's Prometheus alert rules, as a PrometheusRule (prometheus-operator). Every expression
 * names only metrics the program exports: test/deploy/metrics.test.ts scrapes a running platform
 * and fails on any other name. Thresholds that follow from a setting are computed from its default.
 */
import { ordersSpec } from "../../services/ticket/orders/config.js";
import { monitoringLabels } from "./dashboard.js";
import type { ManifestObject } from "./render.js";

/** Codes that say the server failed, not the request: the error ratio counts these. */
export const serverFaultCodes = "internal|unknown|data_loss|unavailable|deadline_exceeded";

/** A PENDING_PAYMENT order is settled within the payment timeout plus a couple of reconciliation sweeps. */
export function pendingOrderBound(): { timeoutSeconds: number; boundSeconds: number } {
  const timeoutSeconds = ordersSpec.paymentTimeoutSeconds.schema.parse(undefined) as number;
  const sweepMs = ordersSpec.reconcileEveryMs.schema.parse(undefined) as number;
  return { timeoutSeconds, boundSeconds: timeoutSeconds + Math.ceil((2 * sweepMs) / 1000) };
}

interface Rule {
  alert: string;
  expr: string;
  for: string;
  severity: "page" | "warning";
  summary: string;
  description: string;
}

function rules(): Rule[] {
  const { timeoutSeconds, boundSeconds } = pendingOrderBound();
  return [
    {
      alert: "BoxofficeConsumerLagHigh",
      expr: "max by (consumer) (bus_consumer_lag) > 1000",
      for: "5m",
      severity: "warning",
      summary: "Consumer {{ $labels.consumer }} is {{ $value }} events behind",
      description:
        "Events wait in the stream: emails, availability and order state lag behind. Check the consumer's pods, its handling time (bus_consumer_handling_seconds) and redeliveries.",
    },
    {
      alert: "BoxofficeConsumerStuck",
      expr: "max by (consumer) (bus_consumer_lag) > 0 and sum by (consumer) (rate(bus_consumer_handled_total[10m])) == 0",
      for: "10m",
      severity: "page",
      summary: "Consumer {{ $labels.consumer }} has a backlog and handles nothing",
      description: "No message handled for 10 minutes while events wait: the consumer is down or wedged.",
    },
    {
      alert: "BoxofficeDeadLetters",
      expr: "sum by (consumer) (increase(bus_consumer_dead_letters_total[10m])) > 0",
      for: "0m",
      severity: "warning",
      summary: "Consumer {{ $labels.consumer }} dead-lettered {{ $value }} events in 10 minutes",
      description:
        "An event the consumer could not apply went to the dead-letter stream with its reason (docs/events.md: inspect and replay).",
    },
    {
      alert: "BoxofficeCircuitOpen",
      expr: "max by (caller, target) (circuit_breaker_state) == 2",
      for: "1m",
      severity: "page",
      summary: "{{ $labels.caller }} stopped calling {{ $labels.target }} (circuit open)",
      description:
        "The breaker opened after consecutive failures and fails calls fast with UNAVAILABLE; it tries one call again after its half-open pause. The target is down or far too slow.",
    },
    {
      alert: "BoxofficePendingOrdersStuck",
      expr: `max(ticket_pending_order_oldest_seconds) > ${boundSeconds}`,
      for: "2m",
      severity: "page",
      summary: "An order has waited {{ $value | humanizeDuration }} for its payment",
      description: `Reconciliation settles every PENDING_PAYMENT order within the payment timeout (BOXOFFICE_TICKET_PAYMENT_TIMEOUT_SECONDS, default ${timeoutSeconds} s) and a couple of sweeps: the ticket service's reconciliation or payment's GetChargeOutcome is failing.`,
    },
    {
      alert: "BoxofficeServerErrorRatio",
      expr: `sum by (service) (rate(rpc_server_handled_total{code=~"${serverFaultCodes}"}[5m])) / sum by (service) (rate(rpc_server_handled_total[5m])) > 0.05`,
      for: "5m",
      severity: "page",
      summary: "{{ $labels.service }}: {{ $value | humanizePercentage }} of calls fail on the server's side",
      description: "More than 5 % of calls end INTERNAL, UNKNOWN, DATA_LOSS, UNAVAILABLE or DEADLINE_EXCEEDED.",
    },
    {
      alert: "BoxofficeInternalErrors",
      expr: 'sum by (service, method) (increase(rpc_server_handled_total{code=~"internal|unknown"}[10m])) > 0',
      for: "0m",
      severity: "warning",
      summary: "{{ $labels.service }}/{{ $labels.method }} answered INTERNAL or UNKNOWN",
      description:
        "Bad input gets a precise code; INTERNAL means a bug or an unmapped failure. The access log has the call (code, request id).",
    },
    {
      alert: "BoxofficeLoadShedding",
      expr: 'sum(rate(rpc_server_shed_total{reason="overloaded"}[5m])) > 1',
      for: "5m",
      severity: "warning",
      summary: "Calls are shed at the in-flight limit ({{ $value }}/s RESOURCE_EXHAUSTED)",
      description:
        "Pods are at their admission limits (BOXOFFICE_MAX_INFLIGHT; sheddable reads are refused first, see the tier label): the autoscaler is at its maximum or not keeping up. Raise the HPA bounds.",
    },
    {
      alert: "BoxofficeOutboxStuck",
      expr: "max by (service) (bus_outbox_oldest_unsent_seconds) > 60",
      for: "5m",
      severity: "page",
      summary: "{{ $labels.service }} has not published an event for {{ $value | humanizeDuration }}",
      description: "The outbox relay cannot reach NATS or has no leader: events (and everything downstream) wait.",
    },
    {
      alert: "BoxofficeEmailsDelayed",
      expr: "max(notification_oldest_unsent_seconds) > 600",
      for: "5m",
      severity: "warning",
      summary: "A notification has waited {{ $value | humanizeDuration }} to be sent",
      description: "The SMTP relay refuses or is unreachable (notification_failed_total, notification_retried_total).",
    },
  ];
}

/** The PrometheusRule: one group, evaluated every 30 s. */
export function prometheusRule(): ManifestObject {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: { name: "boxoffice-onsale", labels: monitoringLabels },
    spec: {
      groups: [
        {
          name: "boxoffice.onsale",
          interval: "30s",
          rules: rules().map((r) => ({
            alert: r.alert,
            expr: r.expr,
            for: r.for,
            labels: { severity: r.severity },
            annotations: { summary: r.summary, description: r.description },
          })),
        },
      ],
    },
  };
}
