/**
 * Rendering with `kubectl kustomize` (offline). The checks refuse to run without kubectl ≥ 1.27
 * (kustomize 5): a missing or old kubectl fails the suite with a message, it never skips it.
 */
import { execFileSync } from "node:child_process";
import { parseAllDocuments } from "yaml";

export type K8sObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
};

export const minimumKubectl = { major: 1, minor: 27 } as const;

/** Why `kubectl` cannot render the overlays, or undefined when it can. */
export function kubectlProblem(env: NodeJS.ProcessEnv = process.env): string | undefined {
  let out: string;
  try {
    out = execFileSync("kubectl", ["version", "--client", "-o", "json"], { env, encoding: "utf8", stdio: "pipe" });
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === "ENOENT";
    return missing
      ? "kubectl is not on PATH: the manifest checks render the overlays with `kubectl kustomize` and need kubectl ≥ 1.27 " +
          "(kustomize 5; Debian's kubernetes-client is too old) — install it from https://dl.k8s.io/release/"
      : `kubectl version failed: ${(e as Error).message}`;
  }
  const v = (JSON.parse(out) as { clientVersion?: { major?: string; minor?: string; gitVersion?: string } })
    .clientVersion;
  const major = Number.parseInt(v?.major ?? "", 10);
  const minor = Number.parseInt(v?.minor ?? "", 10);
  if (!Number.isFinite(major) || !Number.isFinite(minor)) return `cannot read kubectl's version from: ${out.trim()}`;
  if (major < minimumKubectl.major || (major === minimumKubectl.major && minor < minimumKubectl.minor)) {
    return `kubectl ${v?.gitVersion ?? `${major}.${minor}`} is older than 1.27: its kustomize cannot render these overlays (components, replacements with wildcards); install kubectl ≥ 1.27`;
  }
  return undefined;
}

/** Throws (failing the test) unless kubectl can render. */
export function requireKubectl(): void {
  const problem = kubectlProblem();
  if (problem !== undefined) throw new Error(problem);
}

/** Parses a multi-document YAML stream into objects. */
export function parseObjects(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`YAML: ${d.errors.map((e) => e.message).join("; ")}`);
      return d.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

/** `kubectl kustomize dir`, parsed. */
export function kustomize(dir: string): K8sObject[] {
  requireKubectl();
  const out = execFileSync("kubectl", ["kustomize", dir], { encoding: "utf8", stdio: "pipe", maxBuffer: 64 << 20 });
  return parseObjects(out);
}

/** `Kind namespace/name`, for messages. */
export function ref(o: K8sObject): string {
  return `${o.kind} ${o.metadata.namespace ?? "(cluster)"}/${o.metadata.name}`;
}

/** Deep copy, so a test can break a copy without touching the rendered original. */
export function clone<T>(v: T): T {
  return structuredClone(v);
}
