/**
 * `boxoffice manifests secrets`: fresh values for every Secret the overlays reference, printed as a
 * Kubernetes List for `kubectl create -f -` (create, not apply: it refuses to overwrite keys that
 * already sign tokens). Nothing here is ever written to the repository.
 */
import { randomBytes } from "node:crypto";
import { generateSigningKey } from "../../platform/auth/index.js";
import { type ServiceName, serviceNames } from "../../platform/config/runtime.js";
import { type MethodFacts, serviceCallers } from "./facts.js";
import { devMariadbSecret } from "./mariadb.js";
import { infraPorts } from "./policies.js";
import { secrets } from "./topology.js";

type Obj = Record<string, unknown>;

const random = (bytes = 32) => randomBytes(bytes).toString("base64url");

function secret(name: string, stringData: Record<string, string>): Obj {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, labels: { "app.kubernetes.io/part-of": "boxoffice" } },
    type: "Opaque",
    stringData,
  };
}

/** An Ed25519 key ring as BOXOFFICE_*_SIGNING_KEYS expects it: a JSON array of private JWKs. */
async function keyRing(label: string): Promise<string> {
  const kid = `${label}-${new Date().toISOString().slice(0, 10)}-${random(4)}`;
  return JSON.stringify([(await generateSigningKey(kid)).privateJwk]);
}

/** Secrets that hold the dev overlay's in-cluster addresses (prod: the operator's managed services). */
function devInfraSecrets(): Obj[] {
  const passwords = Object.fromEntries(serviceNames.map((s) => [s, random(18)])) as Record<ServiceName, string>;
  return [
    secret(devMariadbSecret, {
      "root-password": random(18),
      ...Object.fromEntries(serviceNames.map((s) => [`${s}-password`, passwords[s]])),
    }),
    secret(
      secrets.mariadbUrl("auth").secret,
      Object.fromEntries(
        serviceNames.map((s) => [s, `mysql://boxoffice:${passwords[s]}@mariadb-${s}:${infraPorts.mariadb}`]),
      ),
    ),
    secret(secrets.redisUrl.secret, { [secrets.redisUrl.key]: `redis://redis:${infraPorts.redis}` }),
    secret(secrets.smtpUrl.secret, { [secrets.smtpUrl.key]: `smtp://mailpit:${infraPorts.smtp}` }),
    secret(secrets.bootstrapAdminEmail.secret, {
      [secrets.bootstrapAdminEmail.key]: "admin@boxoffice.local",
      [secrets.bootstrapAdminPassword.key]: random(18),
    }),
  ];
}

/**
 * Every generated Secret of `overlay`. Prod leaves out what only the operator knows (database,
 * Redis and SMTP URLs, the first admin); docs/deploy.md shows those `kubectl create secret` lines.
 */
export async function renderSecrets(overlay: "dev" | "prod", facts: readonly MethodFacts[]): Promise<Obj> {
  const callers = serviceCallers(facts);
  const pairs = Object.fromEntries(callers.map((c) => [c, `${c}=${random(24)}`]));
  const items: Obj[] = [
    secret(secrets.authSigningKeys.secret, {
      [secrets.authSigningKeys.key]: await keyRing("auth"),
      [secrets.authRefreshSecret.key]: random(32),
    }),
    secret(secrets.ticketSigningKeys.secret, { [secrets.ticketSigningKeys.key]: await keyRing("ticket") }),
    secret(secrets.pageTokenSecret.secret, {
      [secrets.pageTokenSecret.key]: random(32),
      [secrets.idempotencySecret.key]: random(32),
    }),
    // auth checks every caller's secret; each caller holds only its own.
    secret(secrets.serviceSecrets("auth").secret, { ...pairs, auth: Object.values(pairs).join(",") }),
  ];
  if (overlay === "dev") items.push(...devInfraSecrets());
  return { apiVersion: "v1", kind: "List", items };
}
