/**
 * The offline checks of a rendered overlay, in one call: typed model validation, unknown fields,
 * istioctl-analyze-like references, the mesh against the contracts, and the deployment conventions.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { allFacts, type MethodFacts } from "../../../cmd/manifests/facts.js";
import { devInfraPolicies, prodInfraPolicies } from "../../../cmd/manifests/policies.js";
import { deployment, ingressPrincipal } from "../../../cmd/manifests/topology.js";
import { modules } from "../../../cmd/modules.js";
import { analyze } from "./analyze.js";
import { checkPolicies, checkRoutes, checkWiring } from "./contracts.js";
import { checkConventions } from "./conventions.js";
import { type K8sObject, parseObjects } from "./kustomize.js";
import { unknownFields, validateModels } from "./models.js";
import type { Problem } from "./problems.js";

export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
export type Overlay = "dev" | "prod" | "staging";

export interface OverlayContext {
  readonly overlay: Overlay;
  /** The contracts' facts; a test may pass altered ones (a contract that lost request_id). */
  readonly facts: readonly MethodFacts[];
  readonly numTrustedProxies: number;
}

/** numTrustedProxies as the Istio install (mesh/istio/install.yaml) configures the gateway. */
export function istioTrustedProxies(): number {
  const [op] = parseObjects(readFileSync(`${repoRoot}mesh/istio/install.yaml`, "utf8"));
  const n = (op?.spec as { meshConfig?: { defaultConfig?: { gatewayTopology?: { numTrustedProxies?: number } } } })
    ?.meshConfig?.defaultConfig?.gatewayTopology?.numTrustedProxies;
  if (typeof n !== "number") throw new Error("mesh/istio/install.yaml does not set gatewayTopology.numTrustedProxies");
  return n;
}

export function contextFor(overlay: Overlay): OverlayContext {
  return { overlay, facts: allFacts(modules), numTrustedProxies: istioTrustedProxies() };
}

/** Every check over one rendered overlay. */
export async function checkOverlay(objects: readonly K8sObject[], ctx: OverlayContext): Promise<Problem[]> {
  const infra = ctx.overlay === "dev" ? devInfraPolicies() : prodInfraPolicies();
  return [
    ...(await validateModels(objects)),
    ...unknownFields(objects),
    ...analyze(objects, {
      externalPrincipals: [ingressPrincipal],
      externalLabels: [deployment.ingress.selector],
    }),
    ...checkRoutes(objects, ctx.facts),
    ...checkPolicies(objects, ctx.facts, infra as K8sObject[]),
    ...checkWiring(objects, ctx.facts),
    ...checkConventions(objects, ctx),
  ];
}
