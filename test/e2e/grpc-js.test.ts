import assert from "node:assert/strict";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { GrpcReflection } from "grpc-js-reflection-client";
import {
  HealthCheckRequestSchema,
  type HealthCheckResponse,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as Status,
} from "../../gen/grpc/health/v1/health_pb.js";
import { startTestProcess } from "../support/process.js";
import { rawRequest } from "../support/raw-http.js";

type Proc = Awaited<ReturnType<typeof startTestProcess>>;

/** What a new user finds on a production process (no test-only services registered). */
const boxofficeServices = [
  "boxoffice.auth.v1.AuthService",
  "boxoffice.auth.v1.AuthInternalService",
  "boxoffice.event.v1.EventService",
  "boxoffice.event.v1.EventInternalService",
  "boxoffice.ticket.v1.TicketService",
  "boxoffice.ticket.v1.TicketInternalService",
  "boxoffice.payment.v1.PaymentService",
  "boxoffice.payment.v1.PaymentInternalService",
  "boxoffice.notification.v1.NotificationService",
];

function healthCheck(client: grpc.Client, service: string): Promise<HealthCheckResponse> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      "/grpc.health.v1.Health/Check",
      (m: { service: string }) => Buffer.from(toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema, m))),
      (b: Buffer) => fromBinary(HealthCheckResponseSchema, b),
      { service },
      (err, res) => (err ? reject(err) : resolve(res as HealthCheckResponse)),
    );
  });
}

describe("a production process, seen from plain grpc-js and curl", () => {
  let proc: Proc;
  let target: string;
  const reflectionClients: GrpcReflection[] = [];
  before(async () => {
    proc = await startTestProcess({ echo: false });
    target = `127.0.0.1:${proc.server.port}`;
  });
  after(async () => {
    for (const c of reflectionClients) (c as unknown as { client: grpc.Client }).client.close();
    await proc.stop();
  });

  for (const version of ["v1", "v1alpha"]) {
    it(`reflection ${version} lists every Boxoffice service, health and reflection, and no test service`, async () => {
      const client = new GrpcReflection(target, grpc.credentials.createInsecure(), {}, version);
      reflectionClients.push(client);
      const listed = await client.listServices();
      assert.deepEqual(
        [...listed].sort(),
        [
          ...boxofficeServices,
          "grpc.health.v1.Health",
          "grpc.reflection.v1.ServerReflection",
          "grpc.reflection.v1alpha.ServerReflection",
        ].sort(),
      );
    });
  }

  it("reflection describes a method with its request message (grpcurl describe)", async () => {
    const client = new GrpcReflection(target, grpc.credentials.createInsecure(), {}, "v1");
    reflectionClients.push(client);
    const methods = await client.listMethods("boxoffice.ticket.v1.TicketService");
    const hold = methods.find((m) => m.name === "HoldSeats");
    assert.ok(hold, "HoldSeats is listed");
    const root = (
      await client.getDescriptorBySymbol("boxoffice.ticket.v1.TicketService.HoldSeats")
    ).getProtobufJsRoot();
    const request = root.lookupType("boxoffice.ticket.v1.HoldSeatsRequest");
    assert.ok(request.fields.requestId, "HoldSeatsRequest has request_id");
    assert.ok(request.fields.eventId, "HoldSeatsRequest has event_id");
  });

  it("a plain @grpc/grpc-js client gets SERVING from grpc.health.v1.Health/Check, overall and per service", async () => {
    const client = new grpc.Client(target, grpc.credentials.createInsecure());
    try {
      assert.equal((await healthCheck(client, "")).status, Status.SERVING);
      assert.equal((await healthCheck(client, "boxoffice.ticket.v1.TicketService")).status, Status.SERVING);
      await assert.rejects(
        healthCheck(client, "no.such.Service"),
        (e: grpc.ServiceError) => e.code === grpc.status.NOT_FOUND,
      );
    } finally {
      client.close();
    }
  });

  it("curl -H 'content-type: application/json' -d '{}' …/grpc.health.v1.Health/Check answers {\"status\":\"SERVING\"} over HTTP/1.1", async () => {
    const res = await rawRequest(proc.baseUrl, {
      httpVersion: "1.1",
      path: "/grpc.health.v1.Health/Check",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), '{"status":"SERVING"}');
    assert.match(res.headers["x-request-id"] ?? "", /^[0-9a-f-]{36}$/);
  });
});
