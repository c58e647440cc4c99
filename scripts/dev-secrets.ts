/**
 * Development secrets for `make dev`, generated once into the dev data directory (never committed,
 * wiped by `make dev-reset`): the auth signing key, the ticket-code signing key (tickets keep
 * verifying across restarts), the refresh-token secret, the idempotency hashing secret, one secret
 * per service, and the password of the bootstrap admin. In a cluster
 * they come from Kubernetes Secrets.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { JWK } from "jose";
import { generateSigningKey } from "../platform/auth/index.js";
import { serviceNames } from "../platform/config/runtime.js";

export interface DevSecrets {
  signingKeys: JWK[];
  /** Added later: a data directory made before it gets one on its next start. */
  ticketSigningKeys?: JWK[];
  refreshSecret: string;
  /** Added later: a data directory made before it gets one on its next start. */
  idempotencySecret?: string;
  serviceSecrets: Record<string, string>;
  adminEmail: string;
  adminPassword: string;
}

export async function devSecrets(dataDir: string): Promise<DevSecrets> {
  const file = join(dataDir, "dev-secrets.json");
  if (existsSync(file)) {
    const kept = JSON.parse(readFileSync(file, "utf8")) as DevSecrets;
    if (kept.idempotencySecret !== undefined && kept.ticketSigningKeys !== undefined) return kept;
    kept.idempotencySecret ??= randomBytes(32).toString("base64url");
    kept.ticketSigningKeys ??= [
      (await generateSigningKey(`dev-ticket-${new Date().toISOString().slice(0, 10)}`)).privateJwk,
    ];
    writeFileSync(file, JSON.stringify(kept, null, 2), { mode: 0o600 });
    return kept;
  }
  const secret = () => randomBytes(24).toString("base64url");
  const secrets: DevSecrets = {
    signingKeys: [(await generateSigningKey(`dev-${new Date().toISOString().slice(0, 10)}`)).privateJwk],
    ticketSigningKeys: [(await generateSigningKey(`dev-ticket-${new Date().toISOString().slice(0, 10)}`)).privateJwk],
    refreshSecret: randomBytes(32).toString("base64url"),
    idempotencySecret: randomBytes(32).toString("base64url"),
    serviceSecrets: Object.fromEntries(serviceNames.map((s) => [s, secret()])),
    adminEmail: "admin@boxoffice.local",
    adminPassword: secret(),
  };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

/** The environment the platform reads these secrets from. */
export function secretsEnv(s: DevSecrets): Record<string, string> {
  return {
    BOXOFFICE_AUTH_SIGNING_KEYS: JSON.stringify(s.signingKeys),
    ...(s.ticketSigningKeys === undefined
      ? {}
      : { BOXOFFICE_TICKET_SIGNING_KEYS: JSON.stringify(s.ticketSigningKeys) }),
    BOXOFFICE_AUTH_REFRESH_SECRET: s.refreshSecret,
    ...(s.idempotencySecret === undefined ? {} : { BOXOFFICE_IDEMPOTENCY_SECRET: s.idempotencySecret }),
    BOXOFFICE_SERVICE_SECRETS: Object.entries(s.serviceSecrets)
      .map(([k, v]) => `${k}=${v}`)
      .join(","),
    BOXOFFICE_AUTH_BOOTSTRAP_ADMIN_EMAIL: s.adminEmail,
    BOXOFFICE_AUTH_BOOTSTRAP_ADMIN_PASSWORD: s.adminPassword,
  };
}
