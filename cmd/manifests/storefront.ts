/**
 * The storefront in the cluster: the built single-page app (web/dist) in a static file server image
 * (web/Dockerfile: nginx-unprivileged, non-root on 8080, read-only root filesystem), behind the
 * ingress at the app's own paths. API paths never reach it: the ingress routes only the paths below,
 * after every RPC route, and the RPC paths (`/boxoffice.…`, `/grpc.…`) match none of them.
 */
import { deployment, ingressPrincipal } from "./topology.js";

type Obj = Record<string, unknown>;

/** Name of the workload, its Service and ServiceAccount; the image name the overlays pin. */
export const storefront = { name: "storefront", image: "boxoffice-storefront", port: 8080, uid: 101 } as const;

/**
 * The storefront's paths at the edge: the page itself, its hashed assets, and the app's routes
 * (web/src/routes.ts; a test keeps the two in step). Exact paths end without a slash.
 */
export const storefrontPaths = {
  exact: ["/", "/orders", "/tickets", "/sign-in", "/register", "/organiser"],
  prefix: ["/assets/", "/events/", "/checkout/", "/orders/", "/organiser/", "/door/"],
} as const;

const labels = {
  [deployment.nameLabel]: storefront.name,
  "app.kubernetes.io/part-of": "boxoffice",
  app: storefront.name,
};
const selector = { [deployment.nameLabel]: storefront.name };

/** ServiceAccount, Service, Deployment, HorizontalPodAutoscaler and PodDisruptionBudget. */
export function storefrontObjects(): Obj[] {
  const spread = (topologyKey: string) => ({
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable: "ScheduleAnyway",
    labelSelector: { matchLabels: selector },
    matchLabelKeys: ["pod-template-hash"],
  });
  const probe = (periodSeconds: number) => ({ httpGet: { path: "/healthz", port: "http" }, periodSeconds });
  return [
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: storefront.name, labels },
      automountServiceAccountToken: false,
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: storefront.name, labels },
      spec: {
        selector,
        // Named http: plain HTTP/1.1 from the sidecar to nginx.
        ports: [{ name: "http", port: storefront.port, targetPort: "http", protocol: "TCP", appProtocol: "http" }],
      },
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: storefront.name, labels },
      spec: {
        revisionHistoryLimit: 5,
        selector: { matchLabels: selector },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "25%" } },
        template: {
          metadata: { labels, annotations: { "sidecar.istio.io/nativeSidecar": "true" } },
          spec: {
            serviceAccountName: storefront.name,
            automountServiceAccountToken: false,
            terminationGracePeriodSeconds: 15,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: storefront.uid,
              runAsGroup: storefront.uid,
              fsGroup: storefront.uid,
              seccompProfile: { type: "RuntimeDefault" },
            },
            topologySpreadConstraints: [spread("topology.kubernetes.io/zone"), spread("kubernetes.io/hostname")],
            containers: [
              {
                name: "nginx",
                image: storefront.image,
                ports: [{ name: "http", containerPort: storefront.port, protocol: "TCP" }],
                readinessProbe: probe(5),
                livenessProbe: { ...probe(10), failureThreshold: 3 },
                // let the endpoints update before nginx stops taking connections
                lifecycle: { preStop: { sleep: { seconds: 5 } } },
                resources: { requests: { cpu: "20m", memory: "32Mi" }, limits: { cpu: "250m", memory: "64Mi" } },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  privileged: false,
                  readOnlyRootFilesystem: true,
                  runAsNonRoot: true,
                  capabilities: { drop: ["ALL"] },
                },
                // nginx keeps its pid and temporary files in /tmp (web/nginx.conf)
                volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
              },
            ],
            volumes: [{ name: "tmp", emptyDir: { sizeLimit: "32Mi" } }],
          },
        },
      },
    },
    {
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata: { name: storefront.name, labels },
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: storefront.name },
        minReplicas: 2,
        maxReplicas: 10,
        metrics: [
          {
            type: "ContainerResource",
            containerResource: {
              name: "cpu",
              container: "nginx",
              target: { type: "Utilization", averageUtilization: 60 },
            },
          },
        ],
      },
    },
    {
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: { name: storefront.name, labels },
      spec: { maxUnavailable: 1, selector: { matchLabels: selector }, unhealthyPodEvictionPolicy: "AlwaysAllow" },
    },
  ];
}

/** AuthorizationPolicy paths of the storefront's routes (Istio: exact, or a `*` suffix for prefixes). */
export function storefrontPolicyPaths(): string[] {
  return [...storefrontPaths.exact, ...storefrontPaths.prefix.map((p) => `${p}*`)].sort();
}

/** Only the ingress gateway may reach the storefront, and only to read its files. */
export function storefrontPolicy(): Obj {
  return {
    apiVersion: "security.istio.io/v1",
    kind: "AuthorizationPolicy",
    metadata: { name: `${storefront.name}-from-ingress` },
    spec: {
      selector: { matchLabels: selector },
      action: "ALLOW",
      rules: [
        {
          from: [{ source: { principals: [ingressPrincipal] } }],
          to: [
            {
              operation: { ports: [String(storefront.port)], methods: ["GET", "HEAD"], paths: storefrontPolicyPaths() },
            },
          ],
        },
      ],
    },
  };
}

/** mTLS to the storefront, like every other destination in the mesh. */
export function storefrontDestinationRule(): Obj {
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "DestinationRule",
    metadata: { name: storefront.name },
    spec: { host: storefront.name, trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } } },
  };
}

/** The ingress route to the storefront: last, after every RPC route; GETs of files are safe to retry. */
export function storefrontRoute(): Obj {
  return {
    name: "storefront",
    match: [
      ...storefrontPaths.exact.map((p) => ({ uri: { exact: p } })),
      ...storefrontPaths.prefix.map((p) => ({ uri: { prefix: p } })),
    ],
    route: [{ destination: { host: storefront.name, port: { number: storefront.port } } }],
    timeout: "10s",
    retries: { attempts: 2, perTryTimeout: "3s", retryOn: "connect-failure,refused-stream,reset,503" },
  };
}
