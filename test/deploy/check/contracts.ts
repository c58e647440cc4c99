/**
 * Checks that compare the rendered mesh with what the code declares: retries only where a repeat
 * is safe, the ingress routes exactly the public contracts, AuthorizationPolicies grant exactly what
 * the access declarations grant, and each Deployment gets exactly the secrets and addresses its
 * service needs.
 */
import { ingressReachable, type MethodFacts, retrySafe } from "../../../cmd/manifests/facts.js";
import { expectedGrants } from "../../../cmd/manifests/policies.js";
import { preRequestRetryOn } from "../../../cmd/manifests/routes.js";
import { deployment, secretSettings, traits, urlsNeeded } from "../../../cmd/manifests/topology.js";
import { serviceNames } from "../../../platform/config/runtime.js";
import { type Any, appContainer, Inventory } from "./inventory.js";
import type { K8sObject } from "./kustomize.js";
import { type Problem, problem } from "./problems.js";

/** An RPC or a published document, as a route sees it. */
interface Target {
  readonly path: string;
  readonly service: string;
  readonly safe: boolean;
  readonly streaming: boolean;
  readonly public: boolean;
  readonly name: string;
}

function targets(facts: readonly MethodFacts[]): Target[] {
  const rpcs = facts.map((f) => ({
    path: f.path,
    service: f.service,
    safe: retrySafe(f),
    streaming: f.streaming,
    public: ingressReachable(f),
    name: `${f.path} (${f.idempotency === "UNKNOWN" ? "no idempotency level" : f.idempotency}${f.requestId ? ", request_id" : ", no request_id"})`,
  }));
  const docs = serviceNames.flatMap((s) =>
    traits[s].documents.map((d) => ({ path: d, service: s, safe: true, streaming: false, public: true, name: d })),
  );
  return [...rpcs, ...docs];
}

/** The first route of `http` that takes `path` on the RPC port (Envoy's order), or undefined. */
function routeFor(http: Any[], path: string, gatewayBound: boolean): Any | undefined {
  return http.find((r) => {
    const matches: Any[] = r.match ?? [];
    if (matches.length === 0) return true;
    return matches.some((m) => {
      if (!gatewayBound && m.port !== undefined && m.port !== deployment.port) return false;
      const u = m.uri;
      if (u === undefined) return true;
      return u.exact === path || (u.prefix !== undefined && path.startsWith(u.prefix));
    });
  });
}

function checkRoute(vs: K8sObject, route: Any, t: Target): Problem[] {
  const out: Problem[] = [];
  const name = route.name ?? "(unnamed)";
  const r = route.retries;
  if (r === undefined) {
    const why = t.safe ? "set it explicitly" : `${t.name} must not be repeated once it may have reached the server`;
    out.push(
      problem(
        "retries",
        vs,
        `route ${name} takes ${t.path} with no retries policy: Istio's default then retries 503, unavailable and cancelled twice — ${why}`,
      ),
    );
  } else if ((r.attempts ?? 2) > 0) {
    const conditions = String(r.retryOn ?? "")
      .split(",")
      .map((c) => c.trim())
      .filter(Boolean);
    const risky = conditions.filter((c) => !preRequestRetryOn.split(",").includes(c));
    if (!t.safe && risky.length > 0) {
      out.push(
        problem(
          "retries",
          vs,
          `route ${name} retries ${t.name} on ${risky.join(",")}: a repeat may run it twice — only NO_SIDE_EFFECTS reads and requests carrying request_id may be retried once they may have reached the server`,
        ),
      );
    }
    if (t.streaming)
      out.push(problem("retries", vs, `route ${name} retries the stream ${t.path}: streams are never retried`));
  }
  const timeout: string | undefined = route.timeout;
  if (t.streaming && timeout !== undefined && timeout !== "0s") {
    out.push(
      problem("timeout", vs, `route ${name} cuts the stream ${t.path} after ${timeout}: streams need timeout 0s`),
    );
  }
  if (!t.streaming && (timeout === undefined || timeout === "0s")) {
    out.push(
      problem(
        "timeout",
        vs,
        `route ${name} has no timeout for ${t.path}: Envoy ignores Connect-Timeout-Ms, the route timeout is the only cap`,
      ),
    );
  }
  return out;
}

/** Retry safety, route timeouts and ingress exposure, for every VirtualService. */
export function checkRoutes(objects: readonly K8sObject[], facts: readonly MethodFacts[]): Problem[] {
  const inv = new Inventory(objects);
  const all = targets(facts);
  const out: Problem[] = [];
  for (const vs of inv.of("VirtualService")) {
    const spec = vs.spec as Any;
    const http: Any[] = spec?.http ?? [];
    const gatewayBound = (spec?.gateways ?? []).some((g: string) => g !== "mesh");
    const hosts: string[] = spec?.hosts ?? [];
    const inScope = gatewayBound ? all : all.filter((t) => hosts.includes(t.service));
    for (const t of inScope) {
      const route = routeFor(http, t.path, gatewayBound);
      if (gatewayBound && !t.public) {
        if (route !== undefined) {
          out.push(
            problem(
              "ingress",
              vs,
              `route ${route.name ?? "(unnamed)"} exposes ${t.path}, an internal RPC, at the edge: internal contracts are never routed by the ingress`,
            ),
          );
        }
        continue;
      }
      if (route === undefined) {
        if (gatewayBound) out.push(problem("ingress", vs, `public ${t.path} is not routed: the edge answers 404`));
        else out.push(problem("routes", vs, `no route takes ${t.path}: the sidecar answers 404`));
        continue;
      }
      const dest = (route.route ?? []).map((d: Any) => d.destination?.host);
      if (!dest.every((h: string) => h === t.service)) {
        out.push(
          problem(
            "routes",
            vs,
            `route ${route.name ?? "(unnamed)"} sends ${t.path} to ${dest.join(", ")}, not ${t.service}`,
          ),
        );
      }
      out.push(...checkRoute(vs, route, t));
    }
  }
  return out;
}

/** Grants as `workload source port path` strings (path empty for TCP rules). */
export function grantsOf(objects: readonly K8sObject[]): { grants: Set<string>; problems: Problem[] } {
  const inv = new Inventory(objects);
  const grants = new Set<string>();
  const problems: Problem[] = [];
  for (const ap of inv.of("AuthorizationPolicy")) {
    const spec = (ap.spec ?? {}) as Any;
    if (spec.action !== undefined && spec.action !== "ALLOW") {
      problems.push(
        problem("policy", ap, `action ${spec.action}: the rendered policies only ALLOW (deny is the default)`),
      );
      continue;
    }
    const selector = spec.selector?.matchLabels;
    const rules: Any[] = spec.rules ?? [];
    if (selector === undefined) {
      if (rules.length > 0)
        problems.push(problem("policy", ap, "a namespace-wide ALLOW with rules opens every workload"));
      continue;
    }
    const workloads = inv
      .selected(ap.metadata.namespace ?? "default", selector)
      .map((w) => w.podLabels[deployment.nameLabel]);
    for (const rule of rules) {
      const sources: string[] = (rule.from ?? []).flatMap((f: Any) => {
        const extra = Object.keys(f.source ?? {}).filter((k) => k !== "principals");
        if (extra.length > 0)
          problems.push(
            problem("policy", ap, `source uses ${extra.join(", ")}: policies name callers by principal only`),
          );
        return f.source?.principals ?? [];
      });
      if (sources.length === 0) sources.push("*");
      const ops: Any[] = (rule.to ?? []).map((t: Any) => t.operation ?? {});
      if (ops.length === 0) ops.push({});
      for (const w of workloads) {
        for (const s of sources) {
          for (const op of ops) {
            for (const port of (op.ports as string[] | undefined) ?? ["*"]) {
              for (const path of (op.paths as string[] | undefined) ?? [""]) grants.add(`${w} ${s} ${port} ${path}`);
            }
          }
        }
      }
    }
  }
  return { grants, problems };
}

/**
 * AuthorizationPolicies against the declarations: deny by default, and per workload exactly the
 * grants the access declarations (services) and the renderer's infrastructure policies imply.
 */
export function checkPolicies(
  objects: readonly K8sObject[],
  facts: readonly MethodFacts[],
  expectedInfra: readonly K8sObject[],
): Problem[] {
  const out: Problem[] = [];
  const denyAll = objects.some(
    (o) =>
      o.kind === "AuthorizationPolicy" &&
      o.metadata.namespace === deployment.namespace &&
      JSON.stringify(o.spec ?? {}) === "{}",
  );
  if (!denyAll)
    out.push(
      problem(
        "policy",
        `namespace ${deployment.namespace}`,
        "no allow-nothing AuthorizationPolicy (spec: {}): workloads without a policy accept every caller",
      ),
    );
  const actual = grantsOf(objects);
  out.push(...actual.problems);
  const expected = new Set(expectedGrants(facts).map((g) => `${g.workload} ${g.source} ${deployment.port} ${g.path}`));
  // The renderer's infrastructure policies, resolved against the rendered workloads.
  const infra = expectedInfra.map((o) => ({ ...o, metadata: { ...o.metadata, namespace: deployment.namespace } }));
  for (const g of grantsOf([...objects.filter((o) => o.kind !== "AuthorizationPolicy"), ...infra]).grants)
    expected.add(g);
  for (const g of actual.grants) {
    if (!expected.has(g))
      out.push(
        problem(
          "policy",
          `namespace ${deployment.namespace}`,
          `grants ${describe(g)}, which the access declarations do not (services/*/access.ts, cmd/manifests/)`,
        ),
      );
  }
  for (const g of expected) {
    if (!actual.grants.has(g))
      out.push(
        problem(
          "policy",
          `namespace ${deployment.namespace}`,
          `the access declarations grant ${describe(g)}, but no AuthorizationPolicy allows it`,
        ),
      );
  }
  return out;
}

function describe(grant: string): string {
  const [workload, source, port, path] = grant.split(" ");
  return `${source} → ${workload}:${port}${path ? ` ${path}` : ""}`;
}

/** Each service's Deployment: exactly the secrets and service addresses its contracts need. */
export function checkWiring(objects: readonly K8sObject[], facts: readonly MethodFacts[]): Problem[] {
  const inv = new Inventory(objects);
  const out: Problem[] = [];
  for (const s of serviceNames) {
    const d = inv.find("Deployment", deployment.namespace, s);
    const c = d === undefined ? undefined : appContainer((d.spec as Any).template.spec);
    if (d === undefined || c === undefined) {
      out.push(
        problem("wiring", `Deployment ${deployment.namespace}/${s}`, "missing (or without its boxoffice container)"),
      );
      continue;
    }
    const env: Any[] = c.env ?? [];
    const refs = env
      .filter((e) => e.valueFrom?.secretKeyRef !== undefined)
      .map((e) => `${e.name}=${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`);
    const want = secretSettings(s, facts).map((x) => `${x.env}=${x.secret}/${x.key}`);
    for (const r of refs)
      if (!want.includes(r)) out.push(problem("wiring", d, `gets secret ${r}, which ${s} does not need`));
    for (const w of want) if (!refs.includes(w)) out.push(problem("wiring", d, `lacks secret ${w}`));
    const urls = env.filter((e) => /^BOXOFFICE_[A-Z]+_URL$/.test(e.name) && e.value !== undefined).map((e) => e.name);
    const wantUrls = urlsNeeded(s, facts).map((n) => `BOXOFFICE_${n.toUpperCase()}_URL`);
    for (const u of wantUrls)
      if (!urls.includes(u)) out.push(problem("wiring", d, `lacks ${u}: ${s} calls that service`));
    for (const u of urls)
      if (!wantUrls.includes(u)) out.push(problem("wiring", d, `sets ${u}, but ${s} declares no call to it`));
  }
  return out;
}
