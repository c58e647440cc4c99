/**
 * AuthorizationPolicies rendered from the access declarations: deny by default, then one ALLOW per
 * (workload, caller) naming exactly the RPC paths the declarations grant that caller. The offline
 * checks read rendered policies back into grants and compare them with {@link expectedGrants}.
 */
import { type ServiceName, serviceNames } from "../../platform/config/runtime.js";
import { ingressReachable, type MethodFacts, serviceCallers } from "./facts.js";
import { storefront, storefrontPolicyPaths } from "./storefront.js";
import { deployment, ingressPrincipal, natsUsers, principal, redisUsers, traits } from "./topology.js";

type Obj = Record<string, unknown>;

/** One permission: `source` (a principal) may call `path` on `workload`'s RPC port. */
export interface Grant {
  readonly workload: string;
  readonly source: string;
  readonly path: string;
}

/** Who may call what, as the declarations say it. */
export function expectedGrants(facts: readonly MethodFacts[]): Grant[] {
  const grants: Grant[] = [];
  const tokenHolders = serviceCallers(facts);
  for (const f of facts) {
    if (ingressReachable(f)) {
      grants.push({ workload: f.service, source: ingressPrincipal, path: f.path });
    } else if (f.access.kind === "internal") {
      for (const c of f.access.callers) grants.push({ workload: f.service, source: principal(c), path: f.path });
    } else if (f.access.kind === "public") {
      // A public RPC on an internal contract (IssueServiceToken): the services that hold a secret.
      for (const c of tokenHolders) {
        if (c !== f.service) grants.push({ workload: f.service, source: principal(c), path: f.path });
      }
    }
    // A user RPC on an internal contract would be unreachable: the ingress never routes internals.
  }
  for (const s of serviceNames) {
    for (const doc of traits[s].documents) {
      grants.push({ workload: s, source: ingressPrincipal, path: doc });
      // Every process verifies tokens with auth's JWKS.
      if (doc === "/.well-known/jwks.json") {
        for (const other of serviceNames)
          if (other !== s) grants.push({ workload: s, source: principal(other), path: doc });
      }
    }
  }
  // The storefront's pages and files, from the ingress only (rendered by storefront.ts).
  for (const path of storefrontPolicyPaths())
    grants.push({ workload: storefront.name, source: ingressPrincipal, path });
  return grants;
}

/** A short policy-name for a principal: the service account, or `ingress`. */
function sourceName(p: string): string {
  return p === ingressPrincipal ? "ingress" : (p.split("/").pop() ?? p);
}

/** The namespace-wide allow-nothing policy plus one ALLOW per (workload, source). */
export function servicePolicies(facts: readonly MethodFacts[]): Obj[] {
  const bySource = new Map<string, Map<string, string[]>>();
  for (const g of expectedGrants(facts)) {
    const perWorkload = bySource.get(g.workload) ?? new Map<string, string[]>();
    bySource.set(g.workload, perWorkload);
    const paths = perWorkload.get(g.source) ?? [];
    perWorkload.set(g.source, paths);
    if (!paths.includes(g.path)) paths.push(g.path);
  }
  const out: Obj[] = [
    {
      apiVersion: "security.istio.io/v1",
      kind: "AuthorizationPolicy",
      // An ALLOW policy with no rules matches nothing: every workload in the namespace denies by default.
      metadata: { name: "deny-by-default" },
      spec: {},
    },
  ];
  for (const workload of serviceNames) {
    const perWorkload = bySource.get(workload);
    if (perWorkload === undefined) continue;
    for (const [source, paths] of [...perWorkload].sort(([a], [b]) => sourceName(a).localeCompare(sourceName(b)))) {
      out.push(
        allow(`${workload}-from-${sourceName(source)}`, workload, [source], {
          ports: [String(deployment.port)],
          paths: [...paths].sort(),
        }),
      );
    }
  }
  return out;
}

function allow(name: string, workload: string, principals: string[], operation: Obj): Obj {
  return {
    apiVersion: "security.istio.io/v1",
    kind: "AuthorizationPolicy",
    metadata: { name },
    spec: {
      selector: { matchLabels: { [deployment.nameLabel]: workload } },
      action: "ALLOW",
      rules: [{ from: [{ source: { principals } }], to: [{ operation }] }],
    },
  };
}

/** Port numbers of the in-cluster infrastructure (Service ports are named tcp-*: server-first protocols). */
export const infraPorts = { mariadb: 3306, redis: 6379, natsClient: 4222, natsCluster: 6222, smtp: 1025 } as const;

/** Each database, Redis, NATS and the SMTP sink reachable only by the workloads that use them (dev). */
export function devInfraPolicies(): Obj[] {
  const out: Obj[] = serviceNames.map((s: ServiceName) =>
    allow(`mariadb-${s}-from-users`, `mariadb-${s}`, [principal(s), principal("mariadb-backup")], {
      ports: [String(infraPorts.mariadb)],
    }),
  );
  out.push(
    allow(
      "redis-from-users",
      "redis",
      redisUsers.map((s) => principal(s)),
      { ports: [String(infraPorts.redis)] },
    ),
    allow(
      "nats-from-users",
      "nats",
      natsUsers.map((s) => principal(s)),
      { ports: [String(infraPorts.natsClient)] },
    ),
    allow("mailpit-from-notification", "mailpit", [principal("notification")], { ports: [String(infraPorts.smtp)] }),
  );
  return out;
}

/** Prod: databases and Redis are managed outside the cluster; the NATS cluster is in it. */
export function prodInfraPolicies(): Obj[] {
  return [
    allow(
      "nats-from-users",
      "nats",
      natsUsers.map((s) => principal(s)),
      { ports: [String(infraPorts.natsClient)] },
    ),
    allow("nats-from-peers", "nats", [principal("nats")], { ports: [String(infraPorts.natsCluster)] }),
  ];
}
