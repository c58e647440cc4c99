/**
 * `boxoffice manifests`: the committed files are exactly the renderer's output; the rendering says
 * what the declarations say; the deploy-time documents (Secrets, the ingress RequestAuthentication)
 * are complete and well-formed.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { allFacts } from "../../cmd/manifests/facts.js";
import { staleFiles } from "../../cmd/manifests/index.js";
import { expectedGrants } from "../../cmd/manifests/policies.js";
import { parsePublicJwks, requestAuthentication } from "../../cmd/manifests/request-authentication.js";
import { ingressVirtualService, preRequestRetryOn, safeRetryOn } from "../../cmd/manifests/routes.js";
import { renderSecrets } from "../../cmd/manifests/secrets.js";
import { ingressPrincipal, principal } from "../../cmd/manifests/topology.js";
import { modules } from "../../cmd/modules.js";
import { generateSigningKey, publicJwks } from "../../platform/auth/index.js";
import { loadRuntimeConfig } from "../../platform/config/runtime.js";
import { createLogger } from "../../platform/log/index.js";
import { loadKeyRing } from "../../services/auth/keys.js";
import { repoRoot } from "./check/index.js";
import type { Any } from "./check/inventory.js";
import { type K8sObject, kustomize, requireKubectl } from "./check/kustomize.js";
import { unknownFields, validateModels } from "./check/models.js";
import { formatProblems } from "./check/problems.js";

const facts = allFacts(modules);
const callersOf = (path: string) =>
  expectedGrants(facts)
    .filter((g) => g.path === path)
    .map((g) => g.source)
    .sort();

describe("deploy: boxoffice manifests", function () {
  this.timeout(30_000);

  it("the committed generated files are the renderer's output (run `bin/boxoffice manifests` when this fails)", async () => {
    assert.deepEqual(await staleFiles(modules), []);
  });

  it("grants follow the declarations: payment's Charge and Refund only from ticket", () => {
    for (const m of ["Charge", "Refund"]) {
      assert.deepEqual(callersOf(`/boxoffice.payment.v1.PaymentInternalService/${m}`), [principal("ticket")]);
    }
    assert.deepEqual(callersOf("/boxoffice.event.v1.EventInternalService/GetEventLayout"), [principal("ticket")]);
    assert.deepEqual(
      callersOf("/boxoffice.auth.v1.AuthInternalService/GetUser"),
      ["notification", "payment", "ticket"].map((s) => principal(s)),
    );
  });

  it("the ingress reaches public contracts only; service tokens are exchanged by the services that call internals", () => {
    const ingress = expectedGrants(facts).filter((g) => g.source === ingressPrincipal);
    assert.ok(ingress.length > 20);
    assert.deepEqual(
      ingress.filter((g) => g.path.includes("InternalService")),
      [],
    );
    assert.deepEqual(
      callersOf("/boxoffice.auth.v1.AuthInternalService/IssueServiceToken"),
      ["notification", "payment", "ticket"].map((s) => principal(s)),
    );
    assert.deepEqual(
      callersOf("/.well-known/jwks.json"),
      [ingressPrincipal, ...["event", "notification", "payment", "ticket"].map((s) => principal(s))].sort(),
    );
  });

  it("retries follow the protos: reads and request_id writes retry, Login and Refresh only before the request left", () => {
    const http = (ingressVirtualService(facts).spec as Any).http as Any[];
    const routeOf = (path: string) =>
      http.find((r) => r.match.some((m: Any) => m.uri.exact === path || path.startsWith(m.uri.prefix ?? "\0")));
    assert.equal(routeOf("/boxoffice.ticket.v1.TicketService/Checkout").retries.retryOn, safeRetryOn);
    assert.equal(routeOf("/boxoffice.ticket.v1.TicketService/Checkout").retries.perTryTimeout, undefined);
    assert.equal(routeOf("/boxoffice.event.v1.EventService/GetEvent").retries.perTryTimeout, "5s");
    for (const m of ["Login", "Refresh"]) {
      assert.equal(routeOf(`/boxoffice.auth.v1.AuthService/${m}`).retries.retryOn, preRequestRetryOn);
    }
    const watch = routeOf("/boxoffice.ticket.v1.TicketService/WatchOrder");
    assert.deepEqual([watch.timeout, watch.retries.attempts], ["0s", 0]);
    assert.ok(!JSON.stringify(http).includes("InternalService"));
  });
});

describe("deploy: secrets and the ingress RequestAuthentication at deploy time", function () {
  this.timeout(30_000);
  const refs = (objects: K8sObject[]) =>
    new Set(
      objects
        .flatMap((o) => JSON.stringify(o).match(/"secretKeyRef":\{[^}]*\}/g) ?? [])
        .map((r) => {
          const { name, key, optional } = JSON.parse(r.slice('"secretKeyRef":'.length)) as Any;
          return optional === true ? `${name}/${key}?` : `${name}/${key}`;
        }),
    );
  const provided = (list: Any) =>
    new Set((list.items as Any[]).flatMap((s) => Object.keys(s.stringData).map((k) => `${s.metadata.name}/${k}`)));

  before(() => requireKubectl());

  it("dev: `manifests secrets` provides every key the overlay references, values in the formats the services read", async () => {
    const list = await renderSecrets("dev", facts);
    const have = provided(list);
    const missing = [...refs(kustomize(`${repoRoot}manifests/overlays/dev`))].filter(
      (r) => !have.has(r.replace(/\?$/, "")),
    );
    assert.deepEqual(missing, []);
    const value = (name: string, key: string) =>
      (list.items as Any[]).find((s) => s.metadata.name === name).stringData[key] as string;
    const ring = await loadKeyRing(value("boxoffice-auth", "signing-keys"), createLogger({ level: "silent" }));
    assert.equal(ring.jwks.keys.length, 1);
    const cfg = loadRuntimeConfig({ BOXOFFICE_SERVICE_SECRETS: value("boxoffice-service-secrets", "auth") });
    assert.deepEqual(Object.keys(cfg.serviceSecrets).sort(), ["notification", "payment", "ticket"]);
    assert.match(value("boxoffice-database", "ticket"), /^mysql:\/\/boxoffice:[^@]+@mariadb-ticket:3306$/);
  });

  it("prod: generated secrets plus exactly the operator's own (databases, Redis, SMTP) cover the overlay", async () => {
    const have = provided(await renderSecrets("prod", facts));
    const needed = [...refs(kustomize(`${repoRoot}manifests/overlays/prod`))].filter((r) => !r.endsWith("?"));
    assert.deepEqual(needed.filter((r) => !have.has(r)).sort(), [
      "boxoffice-database/auth",
      "boxoffice-database/event",
      "boxoffice-database/notification",
      "boxoffice-database/payment",
      "boxoffice-database/ticket",
      "boxoffice-redis/url",
      "boxoffice-smtp/url",
    ]);
  });

  it("the RequestAuthentication carries the public JWKS inline, forwards the token, and validates", async () => {
    const key = await generateSigningKey("k-test");
    const ra = requestAuthentication(parsePublicJwks(JSON.stringify(publicJwks([key.privateJwk]))), {});
    const objects = [ra as K8sObject];
    const problems = [...(await validateModels(objects)), ...unknownFields(objects)];
    assert.equal(problems.length, 0, formatProblems(problems));
    const rule = (ra.spec as Any).jwtRules[0];
    assert.deepEqual(
      [rule.issuer, rule.audiences, rule.forwardOriginalToken, rule.jwksUri],
      ["boxoffice-auth", ["boxoffice"], true, undefined],
    );
    assert.equal(JSON.parse(rule.jwks).keys[0].kid, "k-test");
    assert.ok(!rule.jwks.includes('"d"'));
  });

  it("a private key is refused, and `boxoffice manifests request-authentication` prints the document", async () => {
    const key = await generateSigningKey("k-private");
    assert.throws(
      () => parsePublicJwks(JSON.stringify({ keys: [key.privateJwk] })),
      /refusing a private key \(member d\)/,
    );
    const out = execFileSync(`${repoRoot}bin/boxoffice`, ["manifests", "request-authentication"], {
      input: JSON.stringify(publicJwks([key.publicJwk])),
      encoding: "utf8",
    });
    const printed = JSON.parse(out) as Any;
    assert.equal(printed.kind, "RequestAuthentication");
    assert.equal(printed.metadata.namespace, "istio-system");
  });
});
