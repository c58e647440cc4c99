/**
 * Pod-level analysis: probe ports that exist, pinned images, Istio's UID left alone, and no secret
 * value committed (Secrets with data, secret-looking literals, URLs with credentials).
 */
import { type Any, containersOf, type Inventory } from "./inventory.js";
import { type Problem, problem } from "./problems.js";

export function pods(inv: Inventory): Problem[] {
  const out: Problem[] = [];
  for (const w of inv.workloads) {
    const uid = w.pod.securityContext?.runAsUser;
    for (const c of containersOf(w.pod)) {
      const ports: Any[] = c.ports ?? [];
      for (const kind of ["startupProbe", "readinessProbe", "livenessProbe"]) {
        const probe = c[kind];
        const port = probe?.grpc?.port ?? probe?.httpGet?.port ?? probe?.tcpSocket?.port;
        if (port !== undefined && !ports.some((p) => p.containerPort === port || p.name === port)) {
          out.push(
            problem(
              "probe-port",
              w.object,
              `container ${c.name}: ${kind} uses port ${port}, which the container does not declare`,
            ),
          );
        }
      }
      const image: string = c.image ?? "";
      const tag = image.includes("@sha256:") ? "digest" : /:([^/:]+)$/.exec(image)?.[1];
      if (tag === undefined || tag === "latest") {
        out.push(
          problem(
            "image-tag",
            w.object,
            `container ${c.name} runs image "${image}" without a pinned tag: each overlay pins it (kustomize images:)`,
          ),
        );
      }
      if ((c.securityContext?.runAsUser ?? uid) === 1337) {
        out.push(
          problem(
            "uid",
            w.object,
            `container ${c.name} runs as UID 1337, Istio's proxy UID: its traffic would bypass the sidecar (IST0144)`,
          ),
        );
      }
    }
  }
  return out;
}

const secretName = /SECRET|PASSWORD|PRIVATE|SIGNING_KEYS|TOKEN|_PWD$/;

export function secretValues(inv: Inventory): Problem[] {
  const out: Problem[] = [];
  for (const s of inv.of("Secret")) {
    if (s.data !== undefined || s.stringData !== undefined)
      out.push(
        problem("secret-value", s, "a Secret with values is committed: create it at deploy time (docs/deploy.md)"),
      );
  }
  for (const w of inv.workloads) {
    for (const c of containersOf(w.pod)) {
      for (const e of c.env ?? []) {
        if (e.value === undefined) continue;
        if (secretName.test(e.name))
          out.push(
            problem(
              "secret-value",
              w.object,
              `container ${c.name} sets ${e.name} to a literal: secrets come from secretKeyRef`,
            ),
          );
        if (/:\/\/[^/@\s]+:[^/@\s]+@/.test(String(e.value)))
          out.push(problem("secret-value", w.object, `container ${c.name}: ${e.name} is a URL with credentials in it`));
      }
    }
  }
  for (const cm of inv.of("ConfigMap")) {
    for (const [k, v] of Object.entries((cm.data as Record<string, string>) ?? {})) {
      if (secretName.test(k) || /:\/\/[^/@\s]+:[^/@\s]+@/.test(v))
        out.push(problem("secret-value", cm, `${k} looks like a secret: keep it in a Secret`));
    }
  }
  return out;
}
