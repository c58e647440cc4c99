/**
 * `boxoffice manifests`: renders the Kubernetes and Istio files that follow from the code (policies,
 * routes and retry rules from the access declarations and protos; the per-service workloads), and
 * the deploy-time documents that must never be committed (Secrets, the ingress RequestAuthentication).
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { ServiceModule } from "../../platform/app/index.js";
import type { ServiceName } from "../../platform/config/runtime.js";
import { allFacts } from "./facts.js";

export const manifestsUsage = `usage: boxoffice manifests [write|check] [--root=DIR]
       boxoffice manifests secrets --overlay=dev|prod       (prints Secrets with fresh values: | kubectl create -f -)
       boxoffice jwks | boxoffice manifests request-authentication   (prints the ingress RequestAuthentication)
`;

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Files whose committed text differs from the rendering (empty when up to date). */
export async function staleFiles(
  modules: Readonly<Record<ServiceName, ServiceModule>>,
  root: string = repoRoot,
): Promise<string[]> {
  const { renderFromModules, toYaml } = await import("./render.js");
  const stale: string[] = [];
  for (const [path, objects] of renderFromModules(modules)) {
    const want = await toYaml(objects);
    const have = await readFile(join(root, path), "utf8").catch(() => undefined);
    if (have !== want) stale.push(path);
  }
  return stale;
}

async function write(modules: Readonly<Record<ServiceName, ServiceModule>>, root: string): Promise<number> {
  const { renderFromModules, toYaml } = await import("./render.js");
  for (const [path, objects] of renderFromModules(modules)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), await toYaml(objects));
    process.stdout.write(`wrote ${path}\n`);
  }
  return 0;
}

/** Runs `boxoffice manifests …`; returns the exit code. */
export async function manifestsCommand(
  args: string[],
  modules: Readonly<Record<ServiceName, ServiceModule>>,
): Promise<number> {
  const sub = args[0] !== undefined && !args[0].startsWith("--") ? args[0] : "write";
  const rest = sub === args[0] ? args.slice(1) : args;
  const { values } = parseArgs({
    args: rest,
    options: { root: { type: "string", default: repoRoot }, overlay: { type: "string" } },
  });
  switch (sub) {
    case "write":
      return write(modules, values.root);
    case "check": {
      const stale = await staleFiles(modules, values.root);
      for (const p of stale) process.stderr.write(`stale: ${p}\n`);
      if (stale.length > 0) process.stderr.write("run `bin/boxoffice manifests` and commit the result\n");
      return stale.length === 0 ? 0 : 1;
    }
    case "secrets": {
      if (values.overlay !== "dev" && values.overlay !== "prod")
        throw new Error("secrets needs --overlay=dev or --overlay=prod");
      const { renderSecrets } = await import("./secrets.js");
      process.stdout.write(`${JSON.stringify(await renderSecrets(values.overlay, allFacts(modules)), null, 2)}\n`);
      return 0;
    }
    case "request-authentication": {
      const { parsePublicJwks, requestAuthentication } = await import("./request-authentication.js");
      const ra = requestAuthentication(parsePublicJwks(await readStdin()));
      process.stdout.write(`${JSON.stringify(ra, null, 2)}\n`);
      return 0;
    }
    default:
      process.stderr.write(`unknown manifests command ${sub}\n${manifestsUsage}`);
      return 2;
  }
}
