/**
 * `make dev`: the whole platform on this machine. Starts MariaDB, Redis, NATS (JetStream) from
 * the system's binaries and the SMTP sink in .data/dev (kept between runs; `make dev-reset` wipes it) unless
 * BOXOFFICE_*_URL point at running ones, applies migrations, serves every service on one port, and
 * stops everything it started on Ctrl-C.
 */

import { relative } from "node:path";
import { printBanner } from "../cmd/banner.js";
import { modules } from "../cmd/modules.js";
import { type Infra, startInfra } from "../harness/index.js";
import { migrateServices, startProcess } from "../platform/app/index.js";
import { serveUntilSignal } from "../platform/app/signals.js";
import { serviceNames } from "../platform/config/runtime.js";
import { devSecrets, secretsEnv } from "./dev-secrets.js";
import { seedDemo } from "./seed.js";

const dataDir = process.env.BOXOFFICE_DEV_DATA_DIR ?? ".data/dev";

/** Where the sink keeps the emails, and how to make it fail (docs/notification.md). */
const mailBanner = (infra: Infra): string =>
  infra.smtpSink === undefined
    ? "Emails go to BOXOFFICE_SMTP_URL (not the local sink)."
    : `Emails land in ${relative(process.cwd(), infra.mailDir) || "."}/ (one .eml each); make the sink fail:
  curl -X PUT -d '{"mode":"temporary","count":3}' ${infra.smtpSink.controlUrl}/fault   # or "permanent"; DELETE /fault resets`;

const infra = await startInfra({ dataDir, keep: true, log: (line) => process.stderr.write(`dev: ${line}\n`) });
let code = 1;
try {
  process.env.BOXOFFICE_MARIADB_URL = infra.mariadbUrl;
  process.env.BOXOFFICE_REDIS_URL = infra.redisUrl;
  process.env.BOXOFFICE_NATS_URL = infra.natsUrl;
  process.env.BOXOFFICE_SMTP_URL = infra.smtpUrl;
  const secrets = await devSecrets(dataDir);
  for (const [k, v] of Object.entries(secretsEnv(secrets))) process.env[k] ??= v;
  const all = serviceNames.map((n) => modules[n]);
  const applied = await migrateServices(all);
  const fresh = Object.entries(applied).filter(([, tags]) => tags.length > 0);
  process.stderr.write(
    `dev: migrations ${fresh.length === 0 ? "up to date" : fresh.map(([s, t]) => `${s}: ${t.join(", ")}`).join("; ")}\n`,
  );
  // the storefront (`make dev` builds web/dist first) at / on the same port; API paths are untouched
  const proc = await startProcess({ modules: all, webRoot: "web/dist" });
  const demo = await seedDemo({
    baseUrl: `http://127.0.0.1:${proc.server.port}`,
    adminEmail: secrets.adminEmail,
    adminPassword: secrets.adminPassword,
    log: (l) => process.stderr.write(`dev: seed: ${l}\n`),
  });
  printBanner(
    proc.server.port,
    proc.server.adminPort,
    `The storefront: http://localhost:${proc.server.port}/   (organiser pages: /organiser, the door: /door/${demo.eventId})

The demo on-sale event (organiser ${demo.organizerEmail} / ${demo.organizerPassword}):
  curl -H 'content-type: application/json' -d '{"eventId":"${demo.eventId}"}' http://localhost:${proc.server.port}/boxoffice.event.v1.EventService/GetEvent
  curl -H 'content-type: application/json' -d '{"email":"${demo.organizerEmail}","password":"${demo.organizerPassword}"}' http://localhost:${proc.server.port}/boxoffice.auth.v1.AuthService/Login

Log in as the admin (dev secrets in ${dataDir}/dev-secrets.json):
  curl -H 'content-type: application/json' -d '{"email":"${secrets.adminEmail}","password":"${secrets.adminPassword}"}' http://localhost:${proc.server.port}/boxoffice.auth.v1.AuthService/Login

Infrastructure (data in ${dataDir}; \`make dev-reset\` wipes it):
  MariaDB  ${infra.mariadbUrl}   Redis  ${infra.redisUrl}   NATS  ${infra.natsUrl}   SMTP  ${infra.smtpUrl}
${mailBanner(infra)}

`,
  );
  code = await serveUntilSignal(proc);
} finally {
  await infra.stop();
}
process.exit(code);
