/**
 * `boxoffice manifests request-authentication`: wraps the public JWKS printed by `boxoffice jwks`
 * into the ingress gateway's RequestAuthentication. The JWKS is inline because istiod, not the
 * gateway, would fetch a `jwksUri`, and it cannot reach an in-mesh issuer under STRICT mTLS. Rendered
 * at deploy time (the keys live in a Secret), never committed; re-run after every key rotation step.
 */
import { loadRuntimeConfig } from "../../platform/config/runtime.js";
import { deployment } from "./topology.js";

/** Private JWK members: a JWKS carrying any of them is a leaked key, refused. */
const privateMembers = ["d", "p", "q", "dp", "dq", "qi", "k"];

/** Parses and checks a public JWKS document (`{"keys":[…]}`). */
export function parsePublicJwks(text: string): { keys: Record<string, unknown>[] } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error("expected the JWKS printed by `boxoffice jwks` on stdin (not JSON)");
  }
  const keys = (doc as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0)
    throw new Error('expected a JWKS: {"keys": [ … ]} with at least one key');
  for (const k of keys as Record<string, unknown>[]) {
    const leaked = privateMembers.filter((m) => m in k);
    if (leaked.length > 0) {
      throw new Error(`refusing a private key (member ${leaked.join(", ")}): pass the output of \`boxoffice jwks\``);
    }
    if (typeof k.kid !== "string" || k.kid === "") throw new Error("every key needs a kid");
  }
  return { keys: keys as Record<string, unknown>[] };
}

/** The RequestAuthentication for the ingress gateway (tokens are checked again in every service). */
export function requestAuthentication(
  jwks: { keys: Record<string, unknown>[] },
  env: Record<string, string | undefined> = process.env,
): Record<string, unknown> {
  const cfg = loadRuntimeConfig(env);
  return {
    apiVersion: "security.istio.io/v1",
    kind: "RequestAuthentication",
    metadata: { name: "boxoffice-ingress-jwt", namespace: deployment.ingress.namespace },
    spec: {
      selector: { matchLabels: deployment.ingress.selector },
      jwtRules: [
        {
          issuer: cfg.jwtIssuer,
          audiences: [cfg.jwtAudience],
          jwks: JSON.stringify(jwks),
          // The services verify the token themselves (roles, service identity): keep the header.
          forwardOriginalToken: true,
        },
      ],
    },
  };
}
