/**
 * `boxoffice`: the one program. `boxoffice serve --services=all` runs every service behind one port
 * (the local edge); `--services=ticket,payment` runs a subset (one Deployment per service in
 * Kubernetes). Services reach each other over the network in every mode.
 */
import { parseArgs } from "node:util";
import { configListing, migrateServices, startProcess } from "../platform/app/index.js";
import { serveUntilSignal } from "../platform/app/signals.js";
import { listDeadLetters, replayDeadLetters } from "../platform/bus/dead-letter.js";
import { connectNats } from "../platform/bus/nats.js";
import { ConfigError, loadConfig } from "../platform/config/index.js";
import { infraNames } from "../platform/config/names.js";
import { loadRuntimeConfig, parseServiceList, serviceNames } from "../platform/config/runtime.js";
import { createLogger } from "../platform/log/index.js";
import { authSpec } from "../services/auth/config.js";
import { loadKeyRing } from "../services/auth/keys.js";
import { loadNotificationConfig } from "../services/notification/config.js";
import { kindFromArg, previewKinds, previewMail } from "../services/notification/templates/preview.js";
import { printBanner } from "./banner.js";
import { modules } from "./modules.js";

const usage = `usage: boxoffice <command> [options]

commands:
  serve [--services=all|a,b] [--banner]   run services behind one port (default: all)
  migrate [--services=all|a,b]            apply committed migrations to <prefix>_<service> (safe to run concurrently)
  jwks                                    print the public JWKS of BOXOFFICE_AUTH_SIGNING_KEYS (for Istio's RequestAuthentication)
  dlq list [--consumer=name]              list dead-lettered events
  dlq replay --seq=N | --all | --consumer=name
                                          republish dead letters to their original subjects (the inbox still dedupes)
  seed users N [--out FILE]               N buyer accounts straight into auth's database (one shared password hash) with
                                          access tokens minted by BOXOFFICE_AUTH_SIGNING_KEYS, as JSON lines (load tests)
  mail preview KIND [--text|--html]       an email of KIND with sample data on stdout (.eml; \`mail preview\` lists kinds)
  ticket verify CODE [--keys=URL|FILE]    check a ticket code offline against the published ticket keys (exit 0 valid, 1 not ours, 2 malformed)
  config                                  list the environment variables the runtime and every service read
  manifests [write|check|secrets|request-authentication]
                                          render the Kubernetes/Istio files that follow from the code (docs/deploy.md)
  help                                    this text
`;

async function serve(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      services: { type: "string", default: process.env.BOXOFFICE_SERVICES ?? "all" },
      banner: { type: "boolean", default: false },
    },
  });
  const names = parseServiceList(values.services);
  const proc = await startProcess({ modules: names.map((n) => modules[n]), peers: Object.values(modules) });
  if (values.banner) printBanner(proc.server.port, proc.server.adminPort);

  return serveUntilSignal(proc);
}

async function jwksCommand(): Promise<number> {
  const cfg = loadConfig(authSpec, process.env);
  if (cfg.signingKeys === undefined) throw new Error("BOXOFFICE_AUTH_SIGNING_KEYS is not set");
  const ring = await loadKeyRing(cfg.signingKeys, createLogger({ level: "silent" }));
  process.stdout.write(`${JSON.stringify(ring.jwks, null, 2)}\n`);
  return 0;
}

async function dlqCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values } = parseArgs({
    args: rest,
    options: { seq: { type: "string" }, all: { type: "boolean" }, consumer: { type: "string" } },
  });
  const cfg = loadRuntimeConfig(process.env);
  const names = infraNames(cfg.prefix);
  const nc = await connectNats(cfg.natsUrl, "boxoffice-dlq");
  try {
    if (sub === "list") {
      const letters = await listDeadLetters(
        nc,
        names,
        values.consumer === undefined ? {} : { consumer: values.consumer },
      );
      for (const l of letters) process.stdout.write(`${JSON.stringify(l)}\n`);
      process.stderr.write(`${letters.length} dead letter(s)\n`);
      return 0;
    }
    if (sub === "replay") {
      const which =
        values.seq !== undefined
          ? { seq: Number(values.seq) }
          : values.all
            ? ({ all: true } as const)
            : values.consumer !== undefined
              ? { consumer: values.consumer }
              : undefined;
      if (which === undefined) throw new Error("dlq replay needs --seq=N, --all or --consumer=name");
      const n = await replayDeadLetters(nc, names, which);
      process.stdout.write(`replayed ${n} dead letter(s)\n`);
      return 0;
    }
    throw new Error("usage: boxoffice dlq list|replay …");
  } finally {
    await nc.close();
  }
}

async function migrateCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { services: { type: "string", default: process.env.BOXOFFICE_SERVICES ?? "all" } },
  });
  const names = parseServiceList(values.services);
  const applied = await migrateServices(names.map((n) => modules[n]));
  for (const [service, tags] of Object.entries(applied)) {
    process.stdout.write(`${service}: ${tags.length === 0 ? "up to date" : `applied ${tags.join(", ")}`}\n`);
  }
  return 0;
}

async function mailCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { text: { type: "boolean", default: false }, html: { type: "boolean", default: false } },
  });
  const [sub, kindArg] = positionals;
  if (sub !== "preview") throw new Error("usage: boxoffice mail preview KIND [--text|--html]");
  const kind = kindArg === undefined ? undefined : kindFromArg(kindArg);
  if (kind === undefined) {
    process.stderr.write(
      `${kindArg === undefined ? "" : `unknown kind ${kindArg}; `}kinds: ${previewKinds().join(", ")}\n`,
    );
    return kindArg === undefined ? 0 : 2;
  }
  const format = values.html ? "html" : values.text ? "text" : "eml";
  process.stdout.write(await previewMail(kind, format, loadNotificationConfig(process.env)));
  return 0;
}

/** Every variable the runtime and each service read, grouped by who reads it. */
function printConfig(): void {
  process.stdout.write(`${configListing(serviceNames.map((n) => modules[n])).join("\n")}\n`);
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "serve":
      return serve(rest);
    case "migrate":
      return migrateCommand(rest);
    case "jwks":
      return jwksCommand();
    case "dlq":
      return dlqCommand(rest);
    case "mail":
      return mailCommand(rest);
    case "seed":
      // Imported on demand: `serve` never loads the seeding code.
      return (await import("./seed-users.js")).seedCommand(rest, process.env);
    case "ticket":
      return (await import("./ticket-verify.js")).ticketCommand(rest);
    case "config":
      printConfig();
      return 0;
    case "manifests":
      // Imported on demand: `serve` never loads the renderer.
      return (await import("./manifests/index.js")).manifestsCommand(rest, modules);
    case undefined:
    case "help":
    case "--help":
      process.stdout.write(usage);
      return 0;
    default:
      process.stderr.write(`unknown command ${command}\n${usage}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      `boxoffice: ${err instanceof ConfigError || err instanceof Error ? err.message : String(err)}\n`,
    );
    process.exit(err instanceof ConfigError ? 78 : 1);
  },
);
