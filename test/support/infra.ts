import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { type Connection, createConnection } from "mysql2/promise";
import { loadRuntimeConfig } from "../../platform/config/runtime.js";
import { dropDatabases } from "../../platform/db/index.js";

/**
 * Infrastructure for tests. The mocha global setup (test/support/global-infra.ts) starts embedded
 * MariaDB/Redis/NATS unless their URLs are in the environment and exports the URLs as
 * BOXOFFICE_*_URL, so every suite reads them from process.env.
 */
export function infraUrls(): { mariadbUrl: string; redisUrl: string; natsUrl: string } {
  const cfg = loadRuntimeConfig(process.env);
  return { mariadbUrl: cfg.mariadbUrl, redisUrl: cfg.redisUrl, natsUrl: cfg.natsUrl };
}

/** A fresh prefix per suite (`t` + 10 hex chars), so suites never see each other's names. */
export function testPrefix(): string {
  return `t${randomBytes(5).toString("hex")}`;
}

/** Environment for a process or helper under `prefix`, pointing at the test infrastructure. */
export function prefixedEnv(prefix: string, extra: Record<string, string> = {}): Record<string, string> {
  const urls = infraUrls();
  return {
    BOXOFFICE_PREFIX: prefix,
    BOXOFFICE_MARIADB_URL: urls.mariadbUrl,
    BOXOFFICE_REDIS_URL: urls.redisUrl,
    BOXOFFICE_NATS_URL: urls.natsUrl,
    ...(process.env.BOXOFFICE_SMTP_URL ? { BOXOFFICE_SMTP_URL: process.env.BOXOFFICE_SMTP_URL } : {}),
    ...extra,
  };
}

/**
 * The platform tables alone (outbox, inbox, idempotency records), as drizzle-kit generates them from
 * platform/db/platform-schema.ts (`make migrations`): what platform tests migrate, so they never
 * depend on a service's migrations.
 */
export const platformMigrations = fileURLToPath(new URL("../fixtures/migrations/platform", import.meta.url));

/** Drops every database of a prefix (after-hook clean-up). */
export function dropPrefix(prefix: string): Promise<string[]> {
  return dropDatabases(infraUrls().mariadbUrl, prefix);
}

/** A plain connection to one database, for assertions that look under the platform. */
export function rawConnection(database?: string): Promise<Connection> {
  const u = new URL(infraUrls().mariadbUrl);
  return createConnection({
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username || "root"),
    password: decodeURIComponent(u.password),
    database,
    timezone: "Z",
  });
}
