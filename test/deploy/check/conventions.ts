/**
 * The deployment rules of issue 15 for every rendered overlay: production mode, hardened pods,
 * gRPC probes, rollouts without capacity loss, autoscaling and disruption budgets, one namespace,
 * and settings that agree with each other (ports, CORS, proxy hops, NATS replicas, drain timing).
 */

import { cors } from "@connectrpc/connect";
import { databasePrefix } from "../../../cmd/manifests/mariadb.js";
import { deployment } from "../../../cmd/manifests/topology.js";
import { serviceNames } from "../../../platform/config/runtime.js";
import { type Any, appContainer, containersOf, envValue, Inventory } from "./inventory.js";
import type { K8sObject } from "./kustomize.js";
import { type Problem, problem } from "./problems.js";

export interface ConventionOptions {
  readonly overlay: "dev" | "prod" | "staging";
  /** meshConfig.defaultConfig.gatewayTopology.numTrustedProxies of the Istio install. */
  readonly numTrustedProxies: number;
}

function hardening(inv: Inventory): Problem[] {
  const out: Problem[] = [];
  for (const w of inv.workloads) {
    const pod = w.pod.securityContext ?? {};
    if (pod.seccompProfile?.type !== "RuntimeDefault")
      out.push(problem("security", w.object, "pod seccompProfile is not RuntimeDefault"));
    if (w.pod.automountServiceAccountToken !== false)
      out.push(
        problem("security", w.object, "mounts a Kubernetes API token it never uses (automountServiceAccountToken)"),
      );
    for (const c of containersOf(w.pod)) {
      const sc = c.securityContext ?? {};
      const at = `container ${c.name}`;
      if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true)
        out.push(problem("security", w.object, `${at} may run as root (runAsNonRoot)`));
      if (sc.allowPrivilegeEscalation !== false)
        out.push(problem("security", w.object, `${at} allows privilege escalation`));
      if (sc.readOnlyRootFilesystem !== true)
        out.push(problem("security", w.object, `${at} has a writable root filesystem`));
      if (!(sc.capabilities?.drop ?? []).includes("ALL"))
        out.push(problem("security", w.object, `${at} keeps Linux capabilities (drop ALL)`));
      for (const r of ["requests", "limits"]) {
        for (const k of ["cpu", "memory"]) {
          if (c.resources?.[r]?.[k] === undefined) out.push(problem("resources", w.object, `${at} has no ${r}.${k}`));
        }
      }
    }
  }
  return out;
}

function config(inv: Inventory): Record<string, string> {
  const cm = inv.of("ConfigMap").find((c) => c.metadata.name.startsWith("boxoffice-config"));
  return (cm?.data as Record<string, string> | undefined) ?? {};
}

function settings(inv: Inventory, opts: ConventionOptions): Problem[] {
  const out: Problem[] = [];
  const cfg = config(inv);
  const at = "ConfigMap boxoffice-config";
  const expect = (key: string, want: string, why: string) => {
    if (cfg[key] !== want)
      out.push(problem("settings", at, `${key} is ${cfg[key] ?? "unset"}, expected ${want}: ${why}`));
  };
  expect("BOXOFFICE_PORT", String(deployment.port), "the containers, Services and probes use that port");
  expect("BOXOFFICE_ADMIN_PORT", String(deployment.adminPort), "the scrape annotations use that port");
  expect("BOXOFFICE_PREFIX", databasePrefix, "databases are <prefix>_<service> (backups name them)");
  expect(
    "BOXOFFICE_TRUSTED_PROXY_HOPS",
    String(opts.numTrustedProxies + 1),
    "the ingress gateway appends one x-forwarded-for entry after the numTrustedProxies it trusts",
  );
  const nats = inv.find("StatefulSet", deployment.namespace, "nats");
  if (nats !== undefined)
    expect(
      "BOXOFFICE_NATS_REPLICAS",
      String((nats.spec as Any).replicas ?? 1),
      "streams are replicated on every NATS server",
    );
  const origins = (cfg.BOXOFFICE_CORS_ORIGINS ?? "")
    .split(",")
    .map((o) => o.trim())
    .filter(Boolean);
  if (origins.length === 0 || origins.includes("*") || origins.some((o) => o.endsWith(".invalid"))) {
    out.push(
      problem(
        "settings",
        at,
        `BOXOFFICE_CORS_ORIGINS is "${cfg.BOXOFFICE_CORS_ORIGINS ?? ""}": production needs real, non-wildcard origins`,
      ),
    );
  }
  const trace = /^(traceparent|tracestate|b3|x-b3-.*|x-request-id)$/i;
  for (const vs of inv.of("VirtualService")) {
    for (const r of ((vs.spec as Any).http ?? []) as Any[]) {
      for (const dir of ["request", "response"]) {
        const h = r.headers?.[dir] ?? {};
        const touched = [...(h.remove ?? []), ...Object.keys(h.set ?? {}), ...Object.keys(h.add ?? {})].filter(
          (x: string) => trace.test(x),
        );
        if (touched.length > 0)
          out.push(
            problem(
              "trace",
              vs,
              `route ${r.name} rewrites ${touched.join(", ")}: trace context and request ids pass untouched`,
            ),
          );
      }
      if (r.corsPolicy === undefined) continue;
      const lower = (l: readonly string[] | undefined) => (l ?? []).map((h) => h.toLowerCase());
      const allowHeaders = lower(r.corsPolicy.allowHeaders);
      const expose = lower(r.corsPolicy.exposeHeaders);
      const missing = [...lower(cors.allowedHeaders), "authorization", "traceparent", "tracestate"].filter(
        (h) => !allowHeaders.includes(h),
      );
      const hidden = lower(cors.exposedHeaders).filter((h) => !expose.includes(h));
      if (missing.length > 0)
        out.push(
          problem(
            "cors",
            vs,
            `route ${r.name} does not let browsers send ${missing.join(", ")} (Connect, gRPC-Web, auth and trace headers)`,
          ),
        );
      if (hidden.length > 0)
        out.push(
          problem(
            "cors",
            vs,
            `route ${r.name} hides ${hidden.join(", ")} from browsers: Connect and gRPC-Web clients read them`,
          ),
        );
      const allowed = (r.corsPolicy.allowOrigins ?? []).map((o: Any) => o.exact ?? o.prefix ?? o.regex);
      if (JSON.stringify([...allowed].sort()) !== JSON.stringify([...origins].sort())) {
        out.push(
          problem(
            "settings",
            vs,
            `route ${r.name} allows origins ${allowed.join(", ")}, the services ${origins.join(", ")}: the gateway and the services must agree`,
          ),
        );
      }
    }
  }
  return out;
}

function services(inv: Inventory, opts: ConventionOptions): Problem[] {
  const out: Problem[] = [];
  const graceMs = Number(config(inv).BOXOFFICE_SHUTDOWN_GRACE_MS ?? 20_000);
  for (const s of serviceNames) {
    const d = inv.find("Deployment", deployment.namespace, s);
    if (d === undefined) continue; // checkWiring reports it
    const spec = d.spec as Any;
    const pod = spec.template.spec;
    const c = appContainer(pod);
    if (c === undefined) continue;
    for (const x of containersOf(pod)) {
      if (envValue(x, "BOXOFFICE_ENV") !== "production")
        out.push(problem("service", d, `container ${x.name} does not set BOXOFFICE_ENV=production`));
    }
    if (JSON.stringify(c.args) !== JSON.stringify(["serve", `--services=${s}`]))
      out.push(problem("service", d, `runs ${JSON.stringify(c.args)}, not serve --services=${s}`));
    const grpcPort = (c.ports ?? []).find((p: Any) => p.name === "grpc")?.containerPort;
    for (const kind of ["readinessProbe", "livenessProbe", "startupProbe"]) {
      if (c[kind]?.grpc?.port !== grpcPort || grpcPort === undefined)
        out.push(problem("probes", d, `${kind} is not a native grpc probe on the grpc port`));
    }
    const live = c.livenessProbe ?? {};
    if ((live.periodSeconds ?? 10) * (live.failureThreshold ?? 3) * 1000 <= graceMs)
      out.push(
        problem(
          "probes",
          d,
          "liveness would kill a pod that is still draining (period × failureThreshold ≤ BOXOFFICE_SHUTDOWN_GRACE_MS)",
        ),
      );
    const preStop = Number(c.lifecycle?.preStop?.exec?.command?.[1] ?? c.lifecycle?.preStop?.sleep?.seconds ?? 0);
    if ((pod.terminationGracePeriodSeconds ?? 30) < preStop + graceMs / 1000 + 5)
      out.push(
        problem(
          "drain",
          d,
          `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} leaves no room for preStop ${preStop}s + drain ${graceMs / 1000}s`,
        ),
      );
    if (spec.strategy?.rollingUpdate?.maxUnavailable !== 0)
      out.push(problem("rollout", d, "rolling update may remove serving pods first (maxUnavailable must be 0)"));
    const keys = (pod.topologySpreadConstraints ?? []).map((t: Any) => t.topologyKey);
    for (const k of ["topology.kubernetes.io/zone", "kubernetes.io/hostname"])
      if (!keys.includes(k)) out.push(problem("spread", d, `pods are not spread across ${k}`));
    const ann = spec.template.metadata?.annotations ?? {};
    const admin = (c.ports ?? []).find((p: Any) => p.name === "http-admin")?.containerPort;
    if (ann["prometheus.io/scrape"] !== "true" || ann["prometheus.io/port"] !== String(admin))
      out.push(problem("metrics", d, "no Prometheus scrape annotations for the admin port"));
    if (!(c.volumeMounts ?? []).some((m: Any) => m.mountPath === "/tmp"))
      out.push(problem("security", d, "no writable /tmp (emptyDir) beside the read-only root filesystem"));
    const hpa = inv.of("HorizontalPodAutoscaler").find((h) => (h.spec as Any).scaleTargetRef?.name === s);
    if (opts.overlay === "dev") {
      if (spec.replicas !== 1 || hpa !== undefined)
        out.push(problem("scaling", d, "dev runs one replica of each service, without an autoscaler"));
    } else if (hpa === undefined || hpa.apiVersion !== "autoscaling/v2" || ((hpa.spec as Any).minReplicas ?? 1) < 2) {
      out.push(problem("scaling", d, "needs an autoscaling/v2 HorizontalPodAutoscaler with minReplicas ≥ 2"));
    } else if (spec.replicas !== undefined) {
      out.push(problem("scaling", d, "sets replicas while an autoscaler owns the count (every apply would reset it)"));
    }
    if (!inv.of("PodDisruptionBudget").some((p) => (p.spec as Any).selector?.matchLabels?.[deployment.nameLabel] === s))
      out.push(problem("scaling", d, "no PodDisruptionBudget"));
    const svc = inv.find("Service", deployment.namespace, s);
    const port = ((svc?.spec as Any)?.ports ?? []).find((p: Any) => p.port === deployment.port);
    if (port?.name !== "grpc")
      out.push(
        problem(
          "port-name",
          svc ?? d,
          `the RPC port ${deployment.port} must be named grpc: Istio then speaks HTTP/2 to the one-port server`,
        ),
      );
  }
  const payment = inv.find("Deployment", deployment.namespace, "payment");
  const pc = payment === undefined ? undefined : appContainer((payment.spec as Any).template.spec);
  if (pc !== undefined && payment !== undefined) {
    const provider = envValue(pc, "BOXOFFICE_PAYMENT_PROVIDER");
    const sandbox = envValue(pc, "BOXOFFICE_PAYMENT_ALLOW_SANDBOX");
    if (provider === undefined || sandbox === undefined)
      out.push(
        problem("payment", payment, "the payment provider and BOXOFFICE_PAYMENT_ALLOW_SANDBOX must be explicit"),
      );
    const want = opts.overlay === "prod" ? "false" : "true";
    if (sandbox !== undefined && sandbox !== want)
      out.push(
        problem(
          "payment",
          payment,
          `BOXOFFICE_PAYMENT_ALLOW_SANDBOX is ${sandbox} in ${opts.overlay}; expected ${want}`,
        ),
      );
  }
  return out;
}

function namespaces(inv: Inventory): Problem[] {
  const out: Problem[] = [];
  const ns = inv.find("Namespace", undefined, deployment.namespace);
  const labels = ns?.metadata.labels ?? {};
  if (labels["istio-injection"] !== "enabled" && labels["istio.io/rev"] === undefined) {
    out.push(
      problem(
        "namespace",
        ns ?? `Namespace ${deployment.namespace}`,
        "no sidecar injection label (istio-injection=enabled): pods would run outside the mesh (IST0102)",
      ),
    );
  }
  for (const o of inv.objects) {
    if (o.metadata.labels?.["boxoffice/scope"] === "root-namespace") {
      out.push(
        problem(
          "namespace",
          o,
          "is a root-namespace object (mesh/mesh-wide) rendered inside an overlay: its `namespace:` moved it out of istio-system — apply mesh/mesh-wide on its own",
        ),
      );
    } else if (o.kind !== "Namespace" && o.metadata.namespace !== deployment.namespace) {
      out.push(
        problem(
          "namespace",
          o,
          `lands in ${o.metadata.namespace ?? "no namespace"}, not ${deployment.namespace}: root-namespace objects (the mesh-wide PeerAuthentication) are applied from mesh/mesh-wide, never from an overlay`,
        ),
      );
    }
  }
  const strict = inv
    .of("PeerAuthentication")
    .some((p) => (p.spec as Any)?.mtls?.mode === "STRICT" && (p.spec as Any)?.selector === undefined);
  if (!strict)
    out.push(problem("mtls", `namespace ${deployment.namespace}`, "no namespace-wide STRICT PeerAuthentication"));
  return out;
}

/** Every convention check over one rendered overlay. */
export function checkConventions(objects: readonly K8sObject[], opts: ConventionOptions): Problem[] {
  const inv = new Inventory(objects);
  return [...hardening(inv), ...settings(inv, opts), ...services(inv, opts), ...namespaces(inv)];
}
