import assert from "node:assert/strict";
import { EchoService } from "../../gen/boxoffice/testing/v1/echo_service_pb.js";
import { access, denialReason, type Principal } from "../../platform/rpc/access.js";
import { buildAccessTable, MissingAccessError, unimplementedService } from "../../platform/rpc/service.js";

const customer: Principal = { kind: "user", subject: "u1", roles: ["CUSTOMER"] };
const organizer: Principal = { kind: "user", subject: "u2", roles: ["ORGANIZER"] };
const ticketService: Principal = { kind: "service", service: "ticket" };

describe("per-RPC access declarations", () => {
  it("public lets anyone in", () => {
    assert.equal(denialReason(access.public(), undefined), undefined);
  });

  it("user needs a signed-in end user, roles need one of the roles", () => {
    assert.equal(denialReason(access.user(), undefined), "unauthenticated");
    assert.equal(denialReason(access.user(), customer), undefined);
    assert.match(denialReason(access.user(), ticketService) ?? "", /end users/);
    assert.match(denialReason(access.roles("ORGANIZER", "ADMIN"), customer) ?? "", /ORGANIZER, ADMIN/);
    assert.equal(denialReason(access.roles("ORGANIZER", "ADMIN"), organizer), undefined);
  });

  it("internal admits only the listed services, never end users", () => {
    const rule = access.internal("ticket");
    assert.equal(denialReason(rule, ticketService), undefined);
    assert.match(denialReason(rule, { kind: "service", service: "payment" }) ?? "", /payment is not allowed/);
    assert.match(denialReason(rule, organizer) ?? "", /internal/);
    assert.equal(denialReason(rule, undefined), "unauthenticated");
  });

  it("refuses to build a server table when an RPC has no declaration, naming it", () => {
    // A map built at run time can miss a method the type system would have caught.
    const partial = { echo: access.public() } as unknown as Parameters<
      typeof unimplementedService<typeof EchoService>
    >[1];
    const reg = unimplementedService(EchoService, partial, "test");
    assert.throws(
      () => buildAccessTable([reg]),
      (e: unknown) =>
        e instanceof MissingAccessError && e.procedures.join() === "/boxoffice.testing.v1.EchoService/EchoStream",
    );
  });
});
