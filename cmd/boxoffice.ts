/**
 * `boxoffice`: the one program. `boxoffice serve --services=all` runs every service behind one port
 * (the local edge); `--services=ticket,payment` runs a subset (one Deployment per service in
 * Kubernetes). Services reach each other over the network in every mode.
 */
import { parseArgs } from "node:util";
import { migrateServices, startProcess } from "../platform/app/index.js";
import { serveUntilSignal } from "../platform/app/signals.js";
import { ConfigError } from "../platform/config/index.js";
import { parseServiceList, runtimeSpec } from "../platform/config/runtime.js";
import { printBanner } from "./banner.js";
import { modules } from "./modules.js";

const usage = `usage: boxoffice <command> [options]

commands:
  serve [--services=all|a,b] [--banner]   run services behind one port (default: all)
  migrate [--services=all|a,b]            apply committed migrations to <prefix>_<service> (safe to run concurrently)
  config                                  list the environment variables the runtime reads
  help                                    this text
`;

async function serve(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { services: { type: "string", default: process.env.BOXOFFICE_SERVICES ?? "all" }, banner: { type: "boolean", default: false } },
  });
  const names = parseServiceList(values.services);
  const proc = await startProcess({ modules: names.map((n) => modules[n]) });
  if (values.banner) printBanner(proc.server.port, proc.server.adminPort);

  return serveUntilSignal(proc);
}

async function migrateCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { services: { type: "string", default: process.env.BOXOFFICE_SERVICES ?? "all" } } });
  const names = parseServiceList(values.services);
  const applied = await migrateServices(names.map((n) => modules[n]));
  for (const [service, tags] of Object.entries(applied)) {
    process.stdout.write(`${service}: ${tags.length === 0 ? "up to date" : `applied ${tags.join(", ")}`}\n`);
  }
  return 0;
}

function printConfig(): void {
  for (const v of Object.values(runtimeSpec)) process.stdout.write(`${v.env}\t${v.doc}\n`);
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "serve":
      return serve(rest);
    case "migrate":
      return migrateCommand(rest);
    case "config":
      printConfig();
      return 0;
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
    process.stderr.write(`boxoffice: ${err instanceof ConfigError || err instanceof Error ? err.message : String(err)}\n`);
    process.exit(err instanceof ConfigError ? 78 : 1);
  },
);
