import assert from "node:assert/strict";
import { Code, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { modules } from "../../cmd/modules.js";
import { AuthInternalService } from "../../gen/boxoffice/auth/v1/auth_internal_service_pb.js";
import { failure } from "../support/assert.js";
import { startTestProcess } from "../support/process.js";
import { rawRequest } from "../support/raw-http.js";

/** Names that are properties of every plain JavaScript object: looked up carelessly, they throw. */
const odd = ["__proto__", "constructor", "toString", "hasOwnProperty"];

describe("names that collide with JavaScript object properties", function () {
  this.timeout(60_000);
  let proc: Awaited<ReturnType<typeof startTestProcess>>;
  before(async () => {
    proc = await startTestProcess({
      modules: [modules.auth],
      env: { BOXOFFICE_SERVICE_SECRETS: "ticket=0123456789abcdef0123" },
    });
  });
  after(() => proc.stop());

  it("paths answer 404 (Connect) or UNIMPLEMENTED (gRPC), never a server error", async () => {
    const paths = odd.flatMap((n) => [
      `/${n}`,
      `/${n}/${n}`,
      `/boxoffice.auth.v1.AuthService/${n}`,
      `/${n}/Login`,
      `/${n}?${n}=1`,
      `/grpc.health.v1.Health/${n}`,
    ]);
    for (const path of paths) {
      for (const httpVersion of ["1.1", "2"] as const) {
        const r = await rawRequest(proc.baseUrl, {
          httpVersion,
          path,
          headers: { "content-type": "application/json" },
          body: "{}",
        });
        assert.equal(r.status, 404, `${path} over HTTP/${httpVersion}: ${r.status} ${r.body.toString().slice(0, 200)}`);
      }
      const g = await rawRequest(proc.baseUrl, {
        httpVersion: "2",
        path,
        headers: { "content-type": "application/grpc", te: "trailers" },
        body: Buffer.alloc(5),
      });
      const status = g.trailers["grpc-status"] ?? g.headers["grpc-status"];
      assert.equal(status, String(Code.Unimplemented), `${path} over gRPC`);
    }
  });

  it("a service named like an object property gets no service token and no server error", async () => {
    const auth = createClient(AuthInternalService, createGrpcTransport({ baseUrl: proc.baseUrl }));
    for (const serviceName of odd) {
      const err = await failure(auth.issueServiceToken({ serviceName, serviceSecret: "0123456789abcdef0123" }));
      assert.ok(
        err.code === Code.Unauthenticated || err.code === Code.InvalidArgument,
        `${serviceName}: ${Code[err.code]} ${err.rawMessage}`,
      );
    }
  });
});
