/**
 * Every overlay rendered with `kubectl kustomize` and put through every offline check; the
 * mesh-wide policy rendered on its own; kubectl's presence and version required, never assumed.
 */
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { checkConventions } from "./check/conventions.js";
import { checkOverlay, contextFor, istioTrustedProxies, type Overlay, repoRoot } from "./check/index.js";
import { type K8sObject, kubectlProblem, kustomize, parseObjects, requireKubectl } from "./check/kustomize.js";
import { unknownFields, validateModels } from "./check/models.js";
import { formatProblems } from "./check/problems.js";

describe("deploy: kubectl for offline rendering", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "boxoffice-kubectl-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("is on PATH and at least 1.27 (otherwise this suite fails, saying so)", () => {
    requireKubectl();
  });

  it("a missing kubectl is a failure with a reason, not a skip", () => {
    const problem = kubectlProblem({ ...process.env, PATH: dir });
    assert.match(problem ?? "", /kubectl is not on PATH.*1\.27/);
  });

  it("a kubectl older than 1.27 is a failure with a reason", () => {
    const bin = join(dir, "old");
    mkdirSync(bin, { recursive: true });
    writeFileSync(
      join(bin, "kubectl"),
      `#!/bin/sh\necho '{"clientVersion":{"major":"1","minor":"26","gitVersion":"v1.26.3"}}'\n`,
    );
    chmodSync(join(bin, "kubectl"), 0o755);
    assert.match(kubectlProblem({ ...process.env, PATH: bin }) ?? "", /v1\.26\.3 is older than 1\.27/);
  });
});

describe("deploy: overlays rendered and checked offline", function () {
  this.timeout(60_000);
  const rendered = new Map<Overlay, K8sObject[]>();
  before(() => {
    requireKubectl();
    for (const o of ["dev", "prod", "staging"] as const)
      rendered.set(o, kustomize(`${repoRoot}manifests/overlays/${o}`));
  });

  for (const overlay of ["dev", "prod", "staging"] as const) {
    it(`${overlay}: every object validates and passes every check`, async () => {
      const objects = rendered.get(overlay) ?? [];
      assert.ok(objects.length > 30, `${overlay} rendered only ${objects.length} objects`);
      const problems = await checkOverlay(objects, contextFor(overlay));
      assert.equal(problems.length, 0, formatProblems(problems));
    });
  }

  it("dev runs its own databases (one MariaDB per service, nightly backups), Redis and NATS with JetStream", () => {
    const objects = rendered.get("dev") ?? [];
    const names = (kind: string) => objects.filter((o) => o.kind === kind).map((o) => o.metadata.name);
    for (const s of ["auth", "event", "ticket", "payment", "notification"]) {
      assert.ok(names("StatefulSet").includes(`mariadb-${s}`), `no MariaDB for ${s}`);
      assert.ok(names("CronJob").includes(`mariadb-${s}-backup`), `no backup for ${s}`);
    }
    assert.ok(names("Deployment").includes("redis"));
    const nats = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === "nats-config");
    assert.match(String((nats?.data as Record<string, string> | undefined)?.["nats.conf"]), /jetstream \{/);
  });

  it("prod keeps databases and Redis outside (by name) and runs NATS as a 3-node JetStream cluster", () => {
    const objects = rendered.get("prod") ?? [];
    assert.ok(!objects.some((o) => o.kind === "StatefulSet" && o.metadata.name.startsWith("mariadb")));
    const external = objects.filter(
      (o) => o.kind === "Service" && (o.spec as { type?: string }).type === "ExternalName",
    );
    assert.deepEqual(external.map((o) => o.metadata.name).sort(), [
      "mariadb-auth",
      "mariadb-event",
      "mariadb-notification",
      "mariadb-payment",
      "mariadb-ticket",
      "redis",
    ]);
    const nats = objects.find((o) => o.kind === "StatefulSet" && o.metadata.name === "nats");
    assert.equal((nats?.spec as { replicas?: number } | undefined)?.replicas, 3);
    const conf = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === "nats-config");
    assert.match(String((conf?.data as Record<string, string> | undefined)?.["nats.conf"]), /cluster \{[\s\S]*routes/);
  });

  it("the mesh-wide STRICT PeerAuthentication renders into istio-system, on its own", async () => {
    const objects = kustomize(`${repoRoot}mesh/mesh-wide`);
    assert.deepEqual(
      objects.map((o) => [
        o.kind,
        o.metadata.namespace,
        o.metadata.name,
        (o.spec as { mtls: { mode: string } }).mtls.mode,
      ]),
      [["PeerAuthentication", "istio-system", "default", "STRICT"]],
    );
    const problems = [...(await validateModels(objects)), ...unknownFields(objects)];
    assert.equal(problems.length, 0, formatProblems(problems));
  });

  it("an overlay that pulled in the mesh-wide policy would move it, and the checks say so", () => {
    const dir = mkdtempSync(join(tmpdir(), "boxoffice-moved-"));
    try {
      writeFileSync(
        join(dir, "kustomization.yaml"),
        `namespace: boxoffice\nresources:\n  - ${relative(dir, `${repoRoot}mesh/mesh-wide`)}\n`,
      );
      const moved = kustomize(dir);
      assert.equal(moved[0]?.metadata.namespace, "boxoffice"); // the pitfall itself
      const problems = checkConventions(moved, { overlay: "prod", numTrustedProxies: 0 });
      assert.match(formatProblems(problems), /root-namespace object.*moved it out of istio-system/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the Istio install validates, and its proxy count matches the services' trusted hops", async () => {
    const op = parseObjects(readFileSync(`${repoRoot}mesh/istio/install.yaml`, "utf8"));
    // The IstioOperator model declares no spec schema: only its envelope can be validated.
    assert.equal((await validateModels(op)).length, 0);
    assert.equal(istioTrustedProxies(), 0);
  });
});
