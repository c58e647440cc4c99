/**
 * The Kubernetes objects of one service: ServiceAccount, Service, Deployment (with its migration
 * init step), HorizontalPodAutoscaler and PodDisruptionBudget. Plain objects; the offline checks
 * validate them against kubernetes-models after kustomize has rendered the overlays.
 */
import type { ServiceName } from "../../platform/config/runtime.js";
import type { MethodFacts } from "./facts.js";
import { deployment, secretSettings, serviceLabels, traits, urlsNeeded } from "./topology.js";

type Obj = Record<string, unknown>;

/** SIGTERM → health NOT_SERVING → calls drain within BOXOFFICE_SHUTDOWN_GRACE_MS (ConfigMap: 20 s). */
export const timing = {
  preStopSeconds: 5,
  shutdownGraceSeconds: 20,
  terminationGracePeriodSeconds: 35,
} as const;

/** Pod security every Boxoffice container shares: non-root, nothing writable but /tmp. */
export const podSecurity = {
  runAsNonRoot: true,
  runAsUser: 1000,
  runAsGroup: 1000,
  fsGroup: 1000,
  seccompProfile: { type: "RuntimeDefault" },
};

export const containerSecurity = {
  allowPrivilegeEscalation: false,
  privileged: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ["ALL"] },
};

const tmpVolume = { name: "tmp", emptyDir: { sizeLimit: "64Mi" } };
const tmpMount = { name: "tmp", mountPath: "/tmp" };

function secretEnv(s: { env: string; secret: string; key: string; optional?: boolean }): Obj {
  return {
    name: s.env,
    valueFrom: {
      secretKeyRef: { name: s.secret, key: s.key, ...(s.optional === true ? { optional: true } : {}) },
    },
  };
}

/** The Deployment of `service`: `boxoffice serve --services=<service>` after `boxoffice migrate`. */
function deploymentOf(service: ServiceName, facts: readonly MethodFacts[]): Obj {
  const labels = serviceLabels(service);
  const selector = { [deployment.nameLabel]: service };
  const t = traits[service];
  const settings = secretSettings(service, facts);
  const mariadb = settings.find((s) => s.env === "BOXOFFICE_MARIADB_URL");
  const env: Obj[] = [
    { name: "BOXOFFICE_ENV", value: "production" },
    ...urlsNeeded(service, facts).map((s) => ({
      name: `BOXOFFICE_${s.toUpperCase()}_URL`,
      value: `http://${s}:${deployment.port}`,
    })),
    ...Object.entries(t.env ?? {}).map(([name, value]) => ({ name, value })),
    ...settings.map(secretEnv),
  ];
  const spread = (topologyKey: string) => ({
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable: "ScheduleAnyway",
    labelSelector: { matchLabels: selector },
    matchLabelKeys: ["pod-template-hash"],
  });
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: service, labels },
    spec: {
      // No replicas: the HorizontalPodAutoscaler owns the count (dev pins it to 1).
      revisionHistoryLimit: 5,
      selector: { matchLabels: selector },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "25%" } },
      template: {
        metadata: {
          labels,
          annotations: {
            "prometheus.io/scrape": "true",
            "prometheus.io/port": String(deployment.adminPort),
            "prometheus.io/path": "/metrics",
            "kubectl.kubernetes.io/default-container": "boxoffice",
            // The sidecar as a native sidecar (an init container that keeps running): the migrate
            // step below reaches MariaDB through it, and it stops after the app on shutdown.
            "sidecar.istio.io/nativeSidecar": "true",
          },
        },
        spec: {
          serviceAccountName: service,
          automountServiceAccountToken: false,
          terminationGracePeriodSeconds: timing.terminationGracePeriodSeconds,
          securityContext: podSecurity,
          topologySpreadConstraints: [spread("topology.kubernetes.io/zone"), spread("kubernetes.io/hostname")],
          initContainers: [
            {
              // Every new pod applies pending migrations before it serves; concurrent pods are safe
              // because `boxoffice migrate` holds a named lock (GET_LOCK) per database.
              name: "migrate",
              image: deployment.image,
              args: ["migrate", `--services=${service}`],
              envFrom: [{ configMapRef: { name: "boxoffice-config" } }],
              env: [{ name: "BOXOFFICE_ENV", value: "production" }, ...(mariadb ? [secretEnv(mariadb)] : [])],
              resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
              securityContext: containerSecurity,
              volumeMounts: [tmpMount],
            },
          ],
          containers: [
            {
              name: "boxoffice",
              image: deployment.image,
              args: ["serve", `--services=${service}`],
              ports: [
                { name: "grpc", containerPort: deployment.port, protocol: "TCP" },
                { name: "http-admin", containerPort: deployment.adminPort, protocol: "TCP" },
              ],
              envFrom: [{ configMapRef: { name: "boxoffice-config" } }],
              env,
              // Native gRPC probes against grpc.health.v1 on the RPC port: NOT_SERVING as soon as the
              // pod drains, so readiness drops it; liveness tolerates the drain (3 × 10 s > 20 s).
              startupProbe: { grpc: { port: deployment.port }, periodSeconds: 2, failureThreshold: 30 },
              readinessProbe: { grpc: { port: deployment.port }, periodSeconds: 5, failureThreshold: 2 },
              livenessProbe: {
                grpc: { port: deployment.port },
                periodSeconds: 10,
                timeoutSeconds: 2,
                failureThreshold: 3,
              },
              lifecycle: { preStop: { exec: { command: ["sleep", String(timing.preStopSeconds)] } } },
              resources: t.resources,
              securityContext: containerSecurity,
              volumeMounts: [tmpMount],
            },
          ],
          volumes: [tmpVolume],
        },
      },
    },
  };
}

/** Every object of one service, in apply order. */
export function serviceObjects(service: ServiceName, facts: readonly MethodFacts[]): Obj[] {
  const labels = serviceLabels(service);
  const selector = { [deployment.nameLabel]: service };
  const t = traits[service];
  return [
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: service, labels },
      automountServiceAccountToken: false,
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: service, labels },
      spec: {
        selector,
        ports: [
          // Named grpc: Istio speaks HTTP/2 to the one port (gRPC, Connect and gRPC-Web all ride it).
          { name: "grpc", port: deployment.port, targetPort: "grpc", protocol: "TCP", appProtocol: "grpc" },
          { name: "http-admin", port: deployment.adminPort, targetPort: "http-admin", protocol: "TCP" },
        ],
      },
    },
    deploymentOf(service, facts),
    {
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata: { name: service, labels },
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: service },
        minReplicas: t.replicas.min,
        maxReplicas: t.replicas.max,
        metrics: [
          {
            // The app container only: the sidecar's CPU would blur the signal.
            type: "ContainerResource",
            containerResource: {
              name: "cpu",
              container: "boxoffice",
              target: { type: "Utilization", averageUtilization: 60 },
            },
          },
        ],
        behavior: {
          // An on-sale opens in seconds: double every 15 s; shrink slowly once it is over.
          scaleUp: {
            stabilizationWindowSeconds: 0,
            selectPolicy: "Max",
            policies: [
              { type: "Percent", value: 100, periodSeconds: 15 },
              { type: "Pods", value: 4, periodSeconds: 15 },
            ],
          },
          scaleDown: {
            stabilizationWindowSeconds: 600,
            policies: [{ type: "Percent", value: 20, periodSeconds: 60 }],
          },
        },
      },
    },
    {
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: { name: service, labels },
      spec: { maxUnavailable: 1, selector: { matchLabels: selector }, unhealthyPodEvictionPolicy: "AlwaysAllow" },
    },
  ];
}
