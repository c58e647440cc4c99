/** The cluster's ingress sends the storefront exactly the app's paths, and never an RPC path. */
import assert from "node:assert/strict";
import { storefrontPaths } from "../../../cmd/manifests/storefront.js";
import { ROUTES } from "../../src/routes.js";

const routed = (path: string) =>
  (storefrontPaths.exact as readonly string[]).includes(path) || storefrontPaths.prefix.some((p) => path.startsWith(p));

describe("web: the storefront's paths at the ingress", () => {
  it("every route of the app reaches the storefront (a reload on any page works in the cluster)", () => {
    for (const pattern of Object.values(ROUTES)) {
      const sample = pattern.replace(/:\w+/g, "0190e7a4-0000-7000-8000-000000000000");
      assert.ok(routed(sample), `${pattern} is not routed to the storefront (cmd/manifests/storefront.ts)`);
    }
    assert.ok(routed("/assets/index-abc123.js"));
  });

  it("no RPC path, health check or published document is routed to it", () => {
    for (const path of [
      "/boxoffice.event.v1.EventService/GetEvent",
      "/boxoffice.ticket.v1.TicketInternalService/GetOrderTickets",
      "/grpc.health.v1.Health/Check",
      "/.well-known/jwks.json",
    ]) {
      assert.equal(routed(path), false, path);
    }
  });
});
