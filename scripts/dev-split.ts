/**
 * `make dev-split`: the platform as the cluster runs it — one `boxoffice serve --services=<name>`
 * process per service, each on its own port, calling each other through BOXOFFICE_<SVC>_URL over
 * gRPC. Same infrastructure bring-up as `make dev` (in .data/dev-split, so both can be kept), then
 * migrations, then the five processes; prints each service's address. Ctrl-C stops the services
 * first (each drains), then the infrastructure.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { modules } from "../cmd/modules.js";
import { startInfra } from "../harness/index.js";
import { migrateServices } from "../platform/app/index.js";
import { type ServiceName, serviceNames } from "../platform/config/runtime.js";
import { devSecrets, secretsEnv } from "./dev-secrets.js";
import { splitPorts, splitUrls } from "./split-ports.js";

const dataDir = process.env.BOXOFFICE_DEV_DATA_DIR ?? ".data/dev-split";
const basePort = Number(process.env.BOXOFFICE_SPLIT_BASE_PORT ?? 8081);
const bin = fileURLToPath(new URL("../bin/boxoffice", import.meta.url));
const log = (line: string) => process.stderr.write(`dev-split: ${line}\n`);

async function waitReady(adminPort: number, name: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode} before it was ready`);
    const ok = await fetch(`http://127.0.0.1:${adminPort}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} was not ready within 60 s`);
}

const infra = await startInfra({ dataDir, keep: true, log });
const children = new Map<ServiceName, ChildProcess>();
let stopping = false;
let code = 0;
try {
  const secrets = await devSecrets(dataDir);
  const ports = splitPorts(basePort);
  const env: Record<string, string | undefined> = {
    ...process.env,
    ...secretsEnv(secrets),
    BOXOFFICE_MARIADB_URL: infra.mariadbUrl,
    BOXOFFICE_REDIS_URL: infra.redisUrl,
    BOXOFFICE_NATS_URL: infra.natsUrl,
    BOXOFFICE_SMTP_URL: infra.smtpUrl,
    ...splitUrls(ports),
    BOXOFFICE_JWKS_URL: `http://127.0.0.1:${ports.auth.port}/.well-known/jwks.json`,
  };
  await migrateServices(
    serviceNames.map((n) => modules[n]),
    env,
  );
  for (const name of serviceNames) {
    const child = spawn(bin, ["serve", `--services=${name}`], {
      env: { ...env, BOXOFFICE_PORT: String(ports[name].port), BOXOFFICE_ADMIN_PORT: String(ports[name].adminPort) },
      stdio: ["ignore", "inherit", "inherit"],
    });
    children.set(name, child);
    child.once("exit", (c, signal) => {
      if (!stopping) log(`${name} exited (${signal ?? `code ${c}`})`);
    });
  }
  for (const [name, child] of children) await waitReady(ports[name].adminPort, name, child);
  process.stderr.write(
    `\nBoxoffice, split mode: one process per service (as in the cluster)\n${serviceNames
      .map(
        (n) =>
          `  ${n.padEnd(13)} http://127.0.0.1:${ports[n].port}   admin http://127.0.0.1:${ports[n].adminPort}/metrics`,
      )
      .join("\n")}\n\nInfrastructure (data in ${dataDir}): MariaDB ${infra.mariadbUrl}  Redis ${infra.redisUrl}  NATS ${
      infra.natsUrl
    }  SMTP ${infra.smtpUrl}\nCtrl-C stops the services, then the infrastructure.\n\n`,
  );
  await waitForSignal();
} catch (e) {
  log(e instanceof Error ? e.message : String(e));
  code = 1;
} finally {
  await stopAll();
  await infra.stop();
}
process.exit(code);

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    for (const s of ["SIGINT", "SIGTERM"] as const) process.once(s, () => resolve());
    // a service dying on its own ends the run too (its log says why)
    for (const child of children.values()) child.once("exit", () => !stopping && resolve());
  });
}

/** SIGTERM to every service (they drain), then waits; SIGKILL after 20 s. */
async function stopAll(): Promise<void> {
  stopping = true;
  const running = [...children.values()].filter((c) => c.exitCode === null && c.signalCode === null);
  for (const c of running) c.kill("SIGTERM");
  await Promise.all(
    running.map(
      (c) =>
        new Promise<void>((resolve) => {
          const t = setTimeout(() => c.kill("SIGKILL"), 20_000);
          c.once("exit", () => {
            clearTimeout(t);
            resolve();
          });
        }),
    ),
  );
}
