/**
 * What `istioctl analyze` (and a careful reviewer) would say about a rendered overlay, offline:
 * protocol-named ports, principals and selectors that point at something, VirtualService hosts,
 * gateways and destinations that exist, reachable routes, probe ports, pinned images, no secret
 * values, no application on Istio's UID.
 */
import { type Any, Inventory } from "./inventory.js";
import type { K8sObject } from "./kustomize.js";
import { pods, secretValues } from "./pods.js";
import { type Problem, problem } from "./problems.js";

const protocols = ["grpc", "grpc-web", "http", "http2", "https", "mongo", "mysql", "redis", "tcp", "tls", "udp"];
/** Ports of server-first protocols (MySQL, NATS, SMTP) and Redis: Istio must treat them as TCP. */
const tcpOnlyPorts = new Map([
  [3306, "MySQL"],
  [4222, "NATS"],
  [6222, "NATS cluster"],
  [1025, "SMTP"],
  [6379, "Redis"],
]);

function portProtocol(port: Any): string | undefined {
  const fromName = String(port.name ?? "").split("-")[0] ?? "";
  return port.appProtocol ?? (protocols.includes(fromName) ? fromName : undefined);
}

function servicePorts(inv: Inventory): Problem[] {
  const out: Problem[] = [];
  for (const s of inv.of("Service")) {
    for (const p of (s.spec as Any)?.ports ?? []) {
      const proto = portProtocol(p);
      if (proto === undefined) {
        out.push(
          problem(
            "port-name",
            s,
            `port ${p.port} is named "${p.name ?? ""}": Istio takes the protocol from the name (grpc, http2, tcp, …, optionally -suffix) or appProtocol; otherwise it sniffs, which hangs server-first protocols and speaks HTTP/1.1 to h2c (IST0118)`,
          ),
        );
        continue;
      }
      const tcpOnly = tcpOnlyPorts.get(p.port);
      if (tcpOnly !== undefined && !["tcp", "mysql", "redis"].includes(proto)) {
        out.push(
          problem("port-name", s, `port ${p.port} (${tcpOnly}) is declared ${proto}: declare it tcp (server-first)`),
        );
      }
    }
  }
  return out;
}

/** `cluster.local/ns/<ns>/sa/<name>` → [ns, name]. */
function parsePrincipal(p: string): [string, string] | undefined {
  const m = /^[^/]+\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(p);
  return m === null ? undefined : [m[1] as string, m[2] as string];
}

function principals(inv: Inventory, external: readonly string[]): Problem[] {
  const out: Problem[] = [];
  for (const ap of inv.of("AuthorizationPolicy")) {
    for (const rule of (ap.spec as Any)?.rules ?? []) {
      for (const from of rule.from ?? []) {
        for (const p of [...(from.source?.principals ?? []), ...(from.source?.notPrincipals ?? [])] as string[]) {
          if (external.includes(p)) continue;
          const parsed = parsePrincipal(p);
          if (parsed === undefined) {
            out.push(problem("principal", ap, `principal ${p} is not <trust-domain>/ns/<namespace>/sa/<account>`));
          } else if (inv.find("ServiceAccount", parsed[0], parsed[1]) === undefined) {
            const known = inv
              .of("ServiceAccount")
              .filter((s) => s.metadata.namespace === parsed[0])
              .map((s) => s.metadata.name);
            out.push(
              problem(
                "principal",
                ap,
                `principal ${p} names ServiceAccount ${parsed[0]}/${parsed[1]}, which does not exist (accounts there: ${known.join(", ") || "none"}): the rule can never match`,
              ),
            );
          }
        }
      }
    }
  }
  return out;
}

function selectors(inv: Inventory, externalLabels: readonly Record<string, string>[]): Problem[] {
  const out: Problem[] = [];
  const matchesExternal = (sel: Record<string, string>) =>
    externalLabels.some((l) => Object.entries(sel).every(([k, v]) => l[k] === v));
  for (const o of inv.objects) {
    const ns = o.metadata.namespace ?? "default";
    const spec = o.spec as Any;
    let sel: Record<string, string> | undefined;
    if (["AuthorizationPolicy", "PeerAuthentication", "RequestAuthentication"].includes(o.kind))
      sel = spec?.selector?.matchLabels;
    else if (o.kind === "Service" && spec?.type !== "ExternalName") sel = spec?.selector;
    else if (o.kind === "PodDisruptionBudget") sel = spec?.selector?.matchLabels;
    else if (o.kind === "Gateway") sel = spec?.selector;
    if (sel === undefined || Object.keys(sel).length === 0) continue;
    const found =
      o.kind === "Gateway"
        ? inv.workloads.filter((w) => Object.entries(sel).every(([k, v]) => w.podLabels[k] === v))
        : inv.selected(ns, sel);
    if (found.length === 0 && !matchesExternal(sel)) {
      out.push(
        problem("selector", o, `selector ${JSON.stringify(sel)} matches no workload's pods (IST0127): it does nothing`),
      );
    }
  }
  for (const w of inv.workloads) {
    const own = (w.object.spec as Any)?.selector?.matchLabels as Record<string, string> | undefined;
    if (own !== undefined && !Object.entries(own).every(([k, v]) => w.podLabels[k] === v)) {
      out.push(problem("selector", w.object, `selector ${JSON.stringify(own)} does not match its own pod labels`));
    }
    for (const c of w.pod.topologySpreadConstraints ?? []) {
      const m = c.labelSelector?.matchLabels ?? {};
      if (!Object.entries(m).every(([k, v]) => w.podLabels[k] === v)) {
        out.push(
          problem(
            "selector",
            w.object,
            `topology spread on ${c.topologyKey} selects ${JSON.stringify(m)}, not its own pods`,
          ),
        );
      }
    }
  }
  for (const hpa of inv.of("HorizontalPodAutoscaler")) {
    const t = (hpa.spec as Any)?.scaleTargetRef;
    if (inv.find(t?.kind, hpa.metadata.namespace, t?.name) === undefined) {
      out.push(problem("selector", hpa, `scales ${t?.kind}/${t?.name}, which does not exist`));
    }
  }
  return out;
}

function uriOf(m: Any): { exact?: string; prefix?: string } | undefined {
  return m?.uri;
}

function virtualServices(inv: Inventory, externalGateways: readonly string[]): Problem[] {
  const out: Problem[] = [];
  for (const vs of inv.of("VirtualService")) {
    const ns = vs.metadata.namespace ?? "default";
    const spec = vs.spec as Any;
    const gateways: string[] = spec?.gateways ?? [];
    const gatewayObjects: K8sObject[] = [];
    for (const g of gateways) {
      if (g === "mesh") continue;
      const [gns, gname] = g.includes("/") ? g.split("/") : [ns, g];
      const found = inv.find("Gateway", gns, gname as string);
      if (found === undefined && !externalGateways.includes(g))
        out.push(problem("vs-gateway", vs, `gateway ${g} does not exist`));
      if (found !== undefined) gatewayObjects.push(found);
    }
    const meshBound = gateways.length === 0 || gateways.includes("mesh");
    for (const h of spec?.hosts ?? []) {
      if (meshBound && inv.service(h, ns) === undefined)
        out.push(problem("vs-host", vs, `host ${h} is not a Service (IST0101)`));
      const gwHosts = gatewayObjects.flatMap((g) =>
        ((g.spec as Any)?.servers ?? []).flatMap((s: Any) => s.hosts ?? []),
      );
      if (
        gatewayObjects.length > 0 &&
        h !== "*" &&
        !gwHosts.some((gh: string) => gh === "*" || gh === h || gh.endsWith(`/${h}`) || gh === `*/${h}`)
      ) {
        out.push(problem("vs-host", vs, `host ${h} is not among its gateways' hosts ${gwHosts.join(", ")} (IST0132)`));
      }
    }
    const earlier: Array<{ exact?: string; prefix?: string; port?: number }> = [];
    let catchAll = false;
    for (const [i, route] of (spec?.http ?? []).entries()) {
      const name = route.name ?? `#${i}`;
      if (catchAll)
        out.push(
          problem(
            "vs-route",
            vs,
            `route ${name} comes after a route that matches everything: it never applies (IST0131)`,
          ),
        );
      const matches: Any[] = route.match ?? [];
      if (matches.length === 0 || matches.some((m) => uriOf(m) === undefined && m.port === undefined)) catchAll = true;
      for (const m of matches) {
        const u = uriOf(m);
        if (u === undefined) continue;
        const shadow = earlier.find(
          (e) =>
            (e.port === undefined || e.port === m.port) &&
            (u.exact !== undefined
              ? u.exact === e.exact || (e.prefix !== undefined && u.exact.startsWith(e.prefix))
              : u.prefix !== undefined && e.prefix !== undefined && u.prefix.startsWith(e.prefix)),
        );
        if (shadow !== undefined)
          out.push(
            problem(
              "vs-route",
              vs,
              `route ${name} matches ${u.exact ?? u.prefix}, already taken by an earlier route (IST0131)`,
            ),
          );
        earlier.push({ ...u, port: m.port });
      }
      for (const r of route.route ?? []) {
        const svc = inv.service(r.destination?.host ?? "", ns);
        if (svc === undefined) {
          out.push(
            problem("vs-destination", vs, `route ${name} sends to ${r.destination?.host}, which is not a Service`),
          );
          continue;
        }
        const ports: Any[] = (svc.spec as Any)?.ports ?? [];
        const want = r.destination?.port?.number;
        if (want === undefined && ports.length > 1)
          out.push(
            problem(
              "vs-destination",
              vs,
              `route ${name} sends to ${svc.metadata.name}, which has several ports, without naming one (IST0112)`,
            ),
          );
        if (want !== undefined && !ports.some((p) => p.port === want))
          out.push(
            problem(
              "vs-destination",
              vs,
              `route ${name} sends to port ${want}, which ${svc.metadata.name} does not expose`,
            ),
          );
      }
    }
  }
  for (const dr of inv.of("DestinationRule")) {
    if (inv.service((dr.spec as Any)?.host ?? "", dr.metadata.namespace ?? "default") === undefined) {
      out.push(problem("dr-host", dr, `host ${(dr.spec as Any)?.host} is not a Service (IST0101)`));
    }
  }
  return out;
}

export interface AnalyzeOptions {
  /** Principals outside the rendering (the ingress gateway's). */
  readonly externalPrincipals: readonly string[];
  /** Pod labels of workloads outside the rendering (the ingress gateway's pods). */
  readonly externalLabels: readonly Record<string, string>[];
  readonly externalGateways?: readonly string[];
}

/** Every istioctl-analyze-like check over one rendered overlay. */
export function analyze(objects: readonly K8sObject[], opts: AnalyzeOptions): Problem[] {
  const inv = new Inventory(objects);
  return [
    ...servicePorts(inv),
    ...principals(inv, opts.externalPrincipals),
    ...selectors(inv, opts.externalLabels),
    ...virtualServices(inv, opts.externalGateways ?? []),
    ...pods(inv),
    ...secretValues(inv),
  ];
}
