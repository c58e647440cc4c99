/** Lookups over a rendered overlay: objects by kind and name, workloads with their pod templates. */
import type { K8sObject } from "./kustomize.js";

// biome-ignore lint/suspicious/noExplicitAny: rendered objects are untyped YAML; checks read them defensively
export type Any = any;

/** A pod-producing object and its pod template. */
export interface Workload {
  readonly object: K8sObject;
  readonly namespace: string;
  readonly podLabels: Record<string, string>;
  readonly podAnnotations: Record<string, string>;
  readonly pod: Any;
  readonly serviceAccount: string;
}

export class Inventory {
  readonly workloads: Workload[];

  constructor(readonly objects: readonly K8sObject[]) {
    this.workloads = objects.flatMap((o) => {
      const spec = o.spec as Any;
      const template =
        o.kind === "CronJob"
          ? spec?.jobTemplate?.spec?.template
          : ["Deployment", "StatefulSet", "DaemonSet", "Job"].includes(o.kind)
            ? spec?.template
            : undefined;
      if (template === undefined) return [];
      return [
        {
          object: o,
          namespace: o.metadata.namespace ?? "default",
          podLabels: template.metadata?.labels ?? {},
          podAnnotations: template.metadata?.annotations ?? {},
          pod: template.spec ?? {},
          serviceAccount: template.spec?.serviceAccountName ?? "default",
        },
      ];
    });
  }

  of(kind: string): K8sObject[] {
    return this.objects.filter((o) => o.kind === kind);
  }

  find(kind: string, namespace: string | undefined, name: string): K8sObject | undefined {
    return this.objects.find(
      (o) =>
        o.kind === kind && o.metadata.name === name && (namespace === undefined || o.metadata.namespace === namespace),
    );
  }

  /** Workloads in `namespace` whose pods carry every label of `selector`. */
  selected(namespace: string, selector: Record<string, string>): Workload[] {
    return this.workloads.filter(
      (w) => w.namespace === namespace && Object.entries(selector).every(([k, v]) => w.podLabels[k] === v),
    );
  }

  /** The Service a host names (`ticket`, `ticket.boxoffice`, `ticket.boxoffice.svc.cluster.local`), seen from `namespace`. */
  service(host: string, namespace: string): K8sObject | undefined {
    const [name, ns = namespace] = host.split(".");
    const fqdn = host.split(".").length <= 2 || host.endsWith(".svc.cluster.local") || host.endsWith(".svc");
    return fqdn && name !== undefined ? this.find("Service", ns, name) : undefined;
  }
}

/** Every container of a pod, init containers included. */
export function containersOf(pod: Any): Any[] {
  return [...(pod.initContainers ?? []), ...(pod.containers ?? [])];
}

/** The app container of a Boxoffice pod (the one named `boxoffice`). */
export function appContainer(pod: Any): Any | undefined {
  return (pod.containers ?? []).find((c: Any) => c.name === "boxoffice");
}

/** A literal env value of a container, or undefined. */
export function envValue(container: Any, name: string): string | undefined {
  return (container?.env ?? []).find((e: Any) => e.name === name)?.value;
}
