/**
 * The dev overlay's databases: one MariaDB 10.11 StatefulSet per service (its own PVC), and a
 * nightly logical backup per database (mariadb-dump into a PVC of its own, seven days kept).
 * docs/deploy.md tells how to restore one.
 */
import { type ServiceName, serviceNames } from "../../platform/config/runtime.js";
import { infraPorts } from "./policies.js";
import { deployment } from "./topology.js";
import { containerSecurity } from "./workloads.js";

type Obj = Record<string, unknown>;

export const mariadbImage = "mariadb:10.11.10";
/** Database names are `<prefix>_<service>`; the ConfigMap's BOXOFFICE_PREFIX must say the same. */
export const databasePrefix = "boxoffice";
/** The dev-only Secret with each server's root and application passwords. */
export const devMariadbSecret = "boxoffice-mariadb-dev";

const mysqlUser = {
  runAsNonRoot: true,
  runAsUser: 999,
  runAsGroup: 999,
  fsGroup: 999,
  seccompProfile: { type: "RuntimeDefault" },
};

function pw(key: string): Obj {
  return { valueFrom: { secretKeyRef: { name: devMariadbSecret, key } } };
}

function server(s: ServiceName): Obj[] {
  const name = `mariadb-${s}`;
  const labels = { [deployment.nameLabel]: name, "app.kubernetes.io/part-of": "boxoffice", app: name };
  const selector = { [deployment.nameLabel]: name };
  const health = { exec: { command: ["healthcheck.sh", "--connect", "--innodb_initialized"] } };
  return [
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name, labels },
      spec: {
        selector,
        // tcp: MySQL is server-first, so Istio must not wait to sniff the protocol.
        ports: [{ name: "tcp-mysql", port: infraPorts.mariadb, targetPort: "tcp-mysql", appProtocol: "tcp" }],
      },
    },
    {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: { name, labels },
      spec: {
        serviceName: name,
        replicas: 1,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels, annotations: { "sidecar.istio.io/nativeSidecar": "true" } },
          spec: {
            serviceAccountName: "mariadb",
            automountServiceAccountToken: false,
            securityContext: mysqlUser,
            terminationGracePeriodSeconds: 60,
            containers: [
              {
                name: "mariadb",
                image: mariadbImage,
                args: [
                  "--character-set-server=utf8mb4",
                  "--collation-server=utf8mb4_unicode_ci",
                  "--max-connections=300",
                ],
                ports: [{ name: "tcp-mysql", containerPort: infraPorts.mariadb, protocol: "TCP" }],
                env: [
                  { name: "MARIADB_ROOT_PASSWORD", ...pw("root-password") },
                  { name: "MARIADB_DATABASE", value: `${databasePrefix}_${s}` },
                  { name: "MARIADB_USER", value: "boxoffice" },
                  { name: "MARIADB_PASSWORD", ...pw(`${s}-password`) },
                ],
                startupProbe: { ...health, periodSeconds: 5, failureThreshold: 60 },
                readinessProbe: { ...health, periodSeconds: 10, timeoutSeconds: 5 },
                livenessProbe: { ...health, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 3 },
                resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } },
                securityContext: containerSecurity,
                volumeMounts: [
                  { name: "data", mountPath: "/var/lib/mysql" },
                  { name: "run", mountPath: "/run/mysqld" },
                  { name: "tmp", mountPath: "/tmp" },
                ],
              },
            ],
            volumes: [
              { name: "run", emptyDir: {} },
              { name: "tmp", emptyDir: {} },
            ],
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: "data" },
            spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "5Gi" } } },
          },
        ],
      },
    },
  ];
}

function backup(s: ServiceName, minute: number): Obj[] {
  const name = `mariadb-${s}-backup`;
  const db = `${databasePrefix}_${s}`;
  const labels = { [deployment.nameLabel]: name, "app.kubernetes.io/part-of": "boxoffice", app: name };
  // A consistent InnoDB snapshot without locking writers; written to a temporary name and renamed,
  // so a half-written dump never looks like a backup.
  const script = [
    "set -euo pipefail",
    `f=/backups/${db}-$(date -u +%Y%m%dT%H%M%SZ).sql.gz`,
    `mariadb-dump --host=mariadb-${s} --user=boxoffice --single-transaction --quick --routines --events --triggers --databases ${db} | gzip -c > "$f.partial"`,
    'mv "$f.partial" "$f"',
    "find /backups -name '*.sql.gz' -mtime +7 -delete",
    'echo "backup written: $f"',
  ].join("\n");
  return [
    {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name, labels },
      spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "5Gi" } } },
    },
    {
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata: { name, labels },
      spec: {
        schedule: `${minute} 3 * * *`,
        timeZone: "Etc/UTC",
        concurrencyPolicy: "Forbid",
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          spec: {
            backoffLimit: 2,
            ttlSecondsAfterFinished: 86_400,
            template: {
              metadata: { labels, annotations: { "sidecar.istio.io/nativeSidecar": "true" } },
              spec: {
                serviceAccountName: "mariadb-backup",
                automountServiceAccountToken: false,
                restartPolicy: "OnFailure",
                securityContext: mysqlUser,
                containers: [
                  {
                    name: "dump",
                    image: mariadbImage,
                    command: ["bash", "-c", script],
                    env: [{ name: "MYSQL_PWD", ...pw(`${s}-password`) }],
                    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
                    securityContext: containerSecurity,
                    volumeMounts: [
                      { name: "backups", mountPath: "/backups" },
                      { name: "tmp", mountPath: "/tmp" },
                    ],
                  },
                ],
                volumes: [
                  { name: "backups", persistentVolumeClaim: { claimName: name } },
                  { name: "tmp", emptyDir: {} },
                ],
              },
            },
          },
        },
      },
    },
  ];
}

/** Every dev database object: servers, backup jobs and their identities. */
export function devDatabases(): Obj[] {
  return [
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: "mariadb", labels: { "app.kubernetes.io/part-of": "boxoffice" } },
      automountServiceAccountToken: false,
    },
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: "mariadb-backup", labels: { "app.kubernetes.io/part-of": "boxoffice" } },
      automountServiceAccountToken: false,
    },
    ...serviceNames.flatMap((s, i) => [...server(s), ...backup(s, 5 + i * 10)]),
  ];
}
