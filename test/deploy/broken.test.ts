/**
 * Deliberately broken copies of the rendered prod overlay (or of the contracts it was rendered
 * from): each must fail the offline checks with a message that says what is wrong and why.
 */
import assert from "node:assert/strict";
import { clone as cloneMessage, createFileRegistry } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { contractFacts } from "../../cmd/manifests/facts.js";
import { file_boxoffice_ticket_v1_ticket_service } from "../../gen/boxoffice/ticket/v1/ticket_service_pb.js";
import { ticketAccess } from "../../services/ticket/access.js";
import { checkOverlay, contextFor, type OverlayContext, repoRoot } from "./check/index.js";
import type { Any } from "./check/inventory.js";
import { clone, type K8sObject, kustomize, requireKubectl } from "./check/kustomize.js";
import { formatProblems } from "./check/problems.js";

describe("deploy: broken copies fail the offline checks", function () {
  this.timeout(60_000);
  let rendered: K8sObject[];
  let ctx: OverlayContext;
  before(() => {
    requireKubectl();
    rendered = kustomize(`${repoRoot}manifests/overlays/prod`);
    ctx = contextFor("prod");
  });

  /** A copy of the rendered overlay with `edit` applied to one object. */
  function broken(kind: string, name: string, edit: (o: Any) => void): K8sObject[] {
    const copy = clone(rendered);
    const target = copy.find((o) => o.kind === kind && o.metadata.name === name);
    assert.ok(target, `${kind} ${name} is not in the rendering`);
    edit(target);
    return copy;
  }

  async function report(objects: K8sObject[], context = ctx): Promise<string> {
    const text = formatProblems(await checkOverlay(objects, context));
    assert.notEqual(text, "", "the broken copy passed every check");
    return text;
  }

  it("the unbroken rendering passes (the baseline of every case below)", async () => {
    const problems = await checkOverlay(rendered, ctx);
    assert.equal(problems.length, 0, formatProblems(problems));
  });

  it("a misspelled field", async () => {
    const copy = broken("Deployment", "ticket", (d) => {
      const probe = d.spec.template.spec.containers[0].readinessProbe;
      probe.periodSecond = probe.periodSeconds;
      delete probe.periodSeconds;
    });
    assert.match(
      await report(copy),
      /Deployment boxoffice\/ticket: unknown field spec\.template\.spec\.containers\[0\]\.readinessProbe\.periodSecond \(did you mean periodSeconds\?\)/,
    );
  });

  it("a wrong port name", async () => {
    const copy = broken("Service", "ticket", (s) => {
      s.spec.ports[0].name = "rpc";
      delete s.spec.ports[0].appProtocol;
    });
    const text = await report(copy);
    assert.match(
      text,
      /\[port-name\] Service boxoffice\/ticket: port 8080 is named "rpc": Istio takes the protocol from the name/,
    );
    assert.match(text, /the RPC port 8080 must be named grpc/);
  });

  it("MariaDB's port declared as anything but tcp", async () => {
    const copy = broken("Service", "mariadb-ticket", (s) => {
      s.spec.ports[0].name = "http-mysql";
      delete s.spec.ports[0].appProtocol;
    });
    assert.match(await report(copy), /port 3306 \(MySQL\) is declared http: declare it tcp \(server-first\)/);
  });

  it("a principal naming a missing ServiceAccount", async () => {
    const copy = broken("AuthorizationPolicy", "payment-from-ticket", (p) => {
      p.spec.rules[0].from[0].source.principals = ["cluster.local/ns/boxoffice/sa/tickets"];
    });
    assert.match(
      await report(copy),
      /AuthorizationPolicy boxoffice\/payment-from-ticket: principal cluster\.local\/ns\/boxoffice\/sa\/tickets names ServiceAccount boxoffice\/tickets, which does not exist/,
    );
  });

  it("a retry on Checkout when its request no longer carries request_id", async () => {
    // The contract as it would be without the field: the same file, CheckoutRequest minus request_id.
    const proto = cloneMessage(FileDescriptorProtoSchema, file_boxoffice_ticket_v1_ticket_service.proto);
    const request = proto.messageType.find((m) => m.name === "CheckoutRequest");
    assert.ok(request);
    request.field = request.field.filter((f) => f.name !== "request_id");
    const deps = new Map(file_boxoffice_ticket_v1_ticket_service.dependencies.map((d) => [d.proto.name, d]));
    const registry = createFileRegistry(proto, (name) => deps.get(name));
    const desc = registry.getService("boxoffice.ticket.v1.TicketService");
    assert.ok(desc);
    const altered = contractFacts("ticket", [{ desc, access: ticketAccess.access as Any }]);
    const facts = [...ctx.facts.filter((f) => f.service !== "ticket"), ...altered];
    // The committed rendering still retries Checkout on failures that may have reached the server.
    assert.match(
      await report(rendered, { ...ctx, facts }),
      /route ticket-request-id-writes retries \/boxoffice\.ticket\.v1\.TicketService\/Checkout \(IDEMPOTENT, no request_id\) on reset,unavailable,503: a repeat may run it twice/,
    );
  });

  it("a retry added to a route that takes Login (no request_id, not a read)", async () => {
    const copy = broken("VirtualService", "boxoffice-ingress", (vs) => {
      const reads = vs.spec.http.find((r: Any) => r.name === "auth-reads");
      reads.match.unshift({ uri: { exact: "/boxoffice.auth.v1.AuthService/Login" } });
    });
    assert.match(
      await report(copy),
      /route auth-reads retries \/boxoffice\.auth\.v1\.AuthService\/Login \(no idempotency level, no request_id\) on reset,unavailable,503/,
    );
  });

  it("a route left to Istio's default retries", async () => {
    const copy = broken("VirtualService", "auth", (vs) => {
      for (const r of vs.spec.http) delete r.retries;
    });
    assert.match(
      await report(copy),
      /route default takes \/boxoffice\.auth\.v1\.AuthService\/Login with no retries policy: Istio's default then retries 503, unavailable and cancelled twice — \/boxoffice\.auth\.v1\.AuthService\/Login \(no idempotency level, no request_id\) must not be repeated/,
    );
  });

  it("an internal service routed from the ingress", async () => {
    const copy = broken("VirtualService", "boxoffice-ingress", (vs) => {
      vs.spec.http.push({
        name: "payment-internal",
        match: [{ uri: { prefix: "/boxoffice.payment.v1.PaymentInternalService/" } }],
        route: [{ destination: { host: "payment", port: { number: 8080 } } }],
        timeout: "30s",
        retries: { attempts: 0 },
      });
    });
    assert.match(
      await report(copy),
      /route payment-internal exposes \/boxoffice\.payment\.v1\.PaymentInternalService\/Charge, an internal RPC, at the edge/,
    );
  });

  it("a policy drifted from the access declarations", async () => {
    const copy = broken("AuthorizationPolicy", "payment-from-ticket", (p) => {
      p.spec.rules[0].from[0].source.principals.push("cluster.local/ns/boxoffice/sa/notification");
      p.spec.rules[0].to[0].operation.paths = p.spec.rules[0].to[0].operation.paths.filter(
        (x: string) => !x.endsWith("/Refund"),
      );
    });
    const text = await report(copy);
    assert.match(
      text,
      /grants cluster\.local\/ns\/boxoffice\/sa\/notification → payment:8080 \/boxoffice\.payment\.v1\.PaymentInternalService\/Charge, which the access declarations do not/,
    );
    assert.match(
      text,
      /the access declarations grant cluster\.local\/ns\/boxoffice\/sa\/ticket → payment:8080 \/boxoffice\.payment\.v1\.PaymentInternalService\/Refund, but no AuthorizationPolicy allows it/,
    );
  });

  it("trace headers stripped, and CORS that hides Connect's headers", async () => {
    const copy = broken("VirtualService", "boxoffice-ingress", (vs) => {
      vs.spec.http[0].headers = { request: { remove: ["traceparent"] } };
      vs.spec.http[0].corsPolicy.allowHeaders = ["Content-Type"];
    });
    const text = await report(copy);
    assert.match(text, /route auth-reads rewrites traceparent: trace context and request ids pass untouched/);
    assert.match(text, /route auth-reads does not let browsers send connect-protocol-version, connect-timeout-ms/);
  });

  it("a committed Secret value and an unpinned image", async () => {
    const copy = broken("Deployment", "event", (d) => {
      d.spec.template.spec.containers[0].image = "registry.example.com/boxoffice:latest";
    });
    copy.push({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "boxoffice-auth", namespace: "boxoffice" },
      stringData: { "refresh-secret": "committed by mistake" },
    } as K8sObject);
    const text = await report(copy);
    assert.match(text, /Secret boxoffice\/boxoffice-auth: a Secret with values is committed/);
    assert.match(
      text,
      /container boxoffice runs image "registry\.example\.com\/boxoffice:latest" without a pinned tag/,
    );
  });

  it("a probe on a port the container does not declare", async () => {
    const copy = broken("Deployment", "auth", (d) => {
      d.spec.template.spec.containers[0].livenessProbe.grpc.port = 8081;
    });
    assert.match(
      await report(copy),
      /container boxoffice: livenessProbe uses port 8081, which the container does not declare/,
    );
  });
});
