/**
 * drizzle-kit configuration for every service: `make migrations` runs
 * `SERVICE=<svc> drizzle-kit generate --config drizzle.config.ts` per service. Each service's
 * migrations create the platform tables (platform/db/platform-schema.ts) plus its own
 * (services/<svc>/db/schema.ts, once it has one). Only `generate` is used: `push`/`pull` crash on
 * MariaDB JSON columns, and the committed SQL is what `boxoffice migrate` applies.
 *
 * `SERVICE=platform` generates the platform tables alone into test/fixtures/migrations/platform:
 * the fixture platform tests migrate, so they never depend on a service's migrations.
 */
import { existsSync } from "node:fs";
import { defineConfig } from "drizzle-kit";

const service = process.env.SERVICE;
if (!service || !/^[a-z]+$/.test(service)) throw new Error("set SERVICE=<service name> (or SERVICE=platform)");
const own = `./services/${service}/db/schema.ts`;
/** Schema files a service keeps beside schema.ts (ticket: its orders half). */
const more: Record<string, string[]> = { ticket: ["./services/ticket/db/orders-schema.ts"] };

export default defineConfig({
  dialect: "mysql",
  schema: ["./platform/db/platform-schema.ts", ...(existsSync(own) ? [own] : []), ...(more[service] ?? [])],
  out: service === "platform" ? "./test/fixtures/migrations/platform" : `./services/${service}/db/migrations`,
});
