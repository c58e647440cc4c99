/**
 * The deployment's shape that the contracts cannot say: names, ports, identities, which shared
 * infrastructure each service uses and which Secret holds each secret setting. Everything else the
 * manifests need (who calls whom, who needs which secret) is derived from the contracts' facts.
 */
import { type ServiceName, serviceNames } from "../../platform/config/runtime.js";
import { calledServices, type MethodFacts, serviceCallers } from "./facts.js";

/** Fixed names and ports shared by the renderer, the overlays and the offline checks. */
export const deployment = {
  /** The namespace the overlays deploy into; mesh principals name it, so it is fixed here. */
  namespace: "boxoffice",
  trustDomain: "cluster.local",
  /** The image name in the base; each overlay pins it (kustomize `images:`). */
  image: "boxoffice",
  port: 8080,
  adminPort: 9090,
  /** The Istio ingress gateway (istioctl's default profile): its pods, namespace and identity. */
  ingress: {
    namespace: "istio-system",
    selector: { istio: "ingressgateway" },
    serviceAccount: "istio-ingressgateway-service-account",
  },
  gatewayName: "boxoffice-gateway",
  /** Label every Boxoffice workload carries; selectors use it. */
  nameLabel: "app.kubernetes.io/name",
} as const;

/** The SPIFFE-style principal Istio gives a service account. */
export function principal(serviceAccount: string, namespace: string = deployment.namespace): string {
  return `${deployment.trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

export const ingressPrincipal = principal(deployment.ingress.serviceAccount, deployment.ingress.namespace);

/** A secret setting: the environment variable and the Secret key it comes from. */
export interface SecretSetting {
  readonly env: string;
  readonly secret: string;
  readonly key: string;
  /** Optional settings (the bootstrap admin) do not stop the pod when the Secret is absent. */
  readonly optional?: boolean;
}

/** Which Secret holds each secret setting (docs/deploy.md tells how to create them). */
export const secrets = {
  authSigningKeys: { env: "BOXOFFICE_AUTH_SIGNING_KEYS", secret: "boxoffice-auth", key: "signing-keys" },
  authRefreshSecret: { env: "BOXOFFICE_AUTH_REFRESH_SECRET", secret: "boxoffice-auth", key: "refresh-secret" },
  bootstrapAdminEmail: {
    env: "BOXOFFICE_AUTH_BOOTSTRAP_ADMIN_EMAIL",
    secret: "boxoffice-auth-bootstrap",
    key: "email",
    optional: true,
  },
  bootstrapAdminPassword: {
    env: "BOXOFFICE_AUTH_BOOTSTRAP_ADMIN_PASSWORD",
    secret: "boxoffice-auth-bootstrap",
    key: "password",
    optional: true,
  },
  ticketSigningKeys: { env: "BOXOFFICE_TICKET_SIGNING_KEYS", secret: "boxoffice-ticket", key: "signing-keys" },
  smtpUrl: { env: "BOXOFFICE_SMTP_URL", secret: "boxoffice-smtp", key: "url" },
  pageTokenSecret: { env: "BOXOFFICE_PAGE_TOKEN_SECRET", secret: "boxoffice-app", key: "page-token-secret" },
  idempotencySecret: { env: "BOXOFFICE_IDEMPOTENCY_SECRET", secret: "boxoffice-app", key: "idempotency-secret" },
  redisUrl: { env: "BOXOFFICE_REDIS_URL", secret: "boxoffice-redis", key: "url" },
  /** Key per service: its own `name=secret` pair; auth's key holds every caller's pair. */
  serviceSecrets: (service: ServiceName): SecretSetting => ({
    env: "BOXOFFICE_SERVICE_SECRETS",
    secret: "boxoffice-service-secrets",
    key: service,
  }),
  /** Key per service: the URL of its MariaDB server (credentials included; no database in the path). */
  mariadbUrl: (service: ServiceName): SecretSetting => ({
    env: "BOXOFFICE_MARIADB_URL",
    secret: "boxoffice-database",
    key: service,
  }),
} as const;

/** What a service uses beyond its contracts. */
interface ServiceTraits {
  /** Redis: the login throttle (auth), the GetEvent cache (event), availability (ticket). */
  readonly redis: boolean;
  /** NATS JetStream: outbox producers and consumers. */
  readonly nats: boolean;
  /** Secret settings only this service holds. */
  readonly ownSecrets: readonly SecretSetting[];
  /** Plain settings only this service reads (overlays patch their values). */
  readonly env?: Readonly<Record<string, string>>;
  /** Plain documents served on the RPC port (GET), routed by the ingress. */
  readonly documents: readonly string[];
  readonly resources: {
    readonly requests: { readonly cpu: string; readonly memory: string };
    readonly limits: { readonly cpu: string; readonly memory: string };
  };
  /** HPA bounds in the base (the prod overlay sizes them for an on-sale). */
  readonly replicas: { readonly min: number; readonly max: number };
}

const standard = {
  requests: { cpu: "250m", memory: "256Mi" },
  limits: { cpu: "1", memory: "512Mi" },
} as const;

/** Per-service traits. Ticket's signing keys and document arrive with its implementation. */
export const traits: Record<ServiceName, ServiceTraits> = {
  auth: {
    redis: true,
    nats: true,
    ownSecrets: [
      secrets.authSigningKeys,
      secrets.authRefreshSecret,
      secrets.bootstrapAdminEmail,
      secrets.bootstrapAdminPassword,
    ],
    documents: ["/.well-known/jwks.json"],
    // argon2id: ~19 MiB and one libuv thread per hash in flight.
    resources: { requests: { cpu: "500m", memory: "384Mi" }, limits: { cpu: "2", memory: "768Mi" } },
    replicas: { min: 2, max: 10 },
  },
  event: { redis: true, nats: true, ownSecrets: [], documents: [], resources: standard, replicas: { min: 2, max: 10 } },
  ticket: {
    redis: true,
    nats: true,
    ownSecrets: [secrets.ticketSigningKeys],
    documents: ["/.well-known/boxoffice-ticket-keys.json"],
    resources: standard,
    replicas: { min: 2, max: 10 },
  },
  payment: {
    redis: false,
    nats: true,
    ownSecrets: [],
    // Explicit in every overlay: production refuses the sandbox unless told it is a staging cluster.
    env: { BOXOFFICE_PAYMENT_PROVIDER: "sandbox", BOXOFFICE_PAYMENT_ALLOW_SANDBOX: "false" },
    documents: [],
    resources: standard,
    replicas: { min: 2, max: 6 },
  },
  notification: {
    redis: false,
    nats: true,
    ownSecrets: [secrets.smtpUrl],
    documents: [],
    resources: standard,
    replicas: { min: 2, max: 4 },
  },
};

/** Every secret setting `service` gets, derived from its contracts and traits. */
export function secretSettings(service: ServiceName, facts: readonly MethodFacts[]): SecretSetting[] {
  const own = facts.filter((f) => f.service === service);
  const out: SecretSetting[] = [secrets.mariadbUrl(service), ...traits[service].ownSecrets];
  if (own.some((f) => f.paged)) out.push(secrets.pageTokenSecret);
  if (own.some((f) => f.requestId)) out.push(secrets.idempotencySecret);
  // Callers of internal RPCs hold their own service secret; auth checks everybody's.
  if (service === "auth" || serviceCallers(facts).includes(service)) out.push(secrets.serviceSecrets(service));
  if (traits[service].redis) out.push(secrets.redisUrl);
  return out;
}

/** The services whose URL `service` needs: the ones it calls, and auth (JWKS, service tokens). */
export function urlsNeeded(service: ServiceName, facts: readonly MethodFacts[]): ServiceName[] {
  const called = new Set(calledServices(facts, service));
  if (service !== "auth") called.add("auth");
  return serviceNames.filter((s) => called.has(s));
}

/** Services that use Redis / NATS (the infrastructure policies admit exactly these). */
export const redisUsers = serviceNames.filter((s) => traits[s].redis);
export const natsUsers = serviceNames.filter((s) => traits[s].nats);

/** Labels of a service's pods (selectors use the first). */
export function serviceLabels(service: string): Record<string, string> {
  return { [deployment.nameLabel]: service, "app.kubernetes.io/part-of": "boxoffice", app: service };
}
