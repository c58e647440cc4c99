import assert from "node:assert/strict";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { create, createFileRegistry, type DescService, fromBinary } from "@bufbuild/protobuf";
import {
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
  file_google_protobuf_timestamp,
  FieldDescriptorProto_Label as Label,
  FieldDescriptorProto_Type as Type,
} from "@bufbuild/protobuf/wkt";
import { type ConnectRouter, createClient, createRouterTransport } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { credentials, type Client as GrpcClient } from "@grpc/grpc-js";
import { GrpcReflection } from "grpc-js-reflection-client";
import { EchoService } from "../../gen/boxoffice/testing/v1/echo_service_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import type { ServerReflectionRequest } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import {
  createReflectionV1,
  createReflectionV1Alpha,
  type ReflectionOptions,
  ServerReflectionV1,
  ServerReflectionV1Alpha,
} from "./index.js";

// A hand-built pair of files: svc.proto -> dep.proto -> google/protobuf/timestamp.proto.
const depProto = create(FileDescriptorProtoSchema, {
  name: "reflecttest/v1/dep.proto",
  package: "reflecttest.v1",
  dependency: ["google/protobuf/timestamp.proto"],
  syntax: "proto2",
  messageType: [
    {
      name: "Stamp",
      field: [
        {
          name: "at",
          jsonName: "at",
          number: 1,
          label: Label.OPTIONAL,
          type: Type.MESSAGE,
          typeName: ".google.protobuf.Timestamp",
        },
      ],
      nestedType: [{ name: "Inner" }],
      extensionRange: [{ start: 100, end: 200 }],
    },
  ],
  enumType: [
    {
      name: "Color",
      value: [
        { name: "COLOR_UNSPECIFIED", number: 0 },
        { name: "COLOR_RED", number: 1 },
      ],
    },
  ],
  extension: [
    {
      name: "note",
      jsonName: "note",
      number: 150,
      label: Label.OPTIONAL,
      type: Type.INT32,
      extendee: ".reflecttest.v1.Stamp",
    },
  ],
});
const svcProto = create(FileDescriptorProtoSchema, {
  name: "reflecttest/v1/svc.proto",
  package: "reflecttest.v1",
  dependency: ["reflecttest/v1/dep.proto"],
  syntax: "proto3",
  service: [
    {
      name: "StampService",
      method: [{ name: "Get", inputType: ".reflecttest.v1.Stamp", outputType: ".reflecttest.v1.Stamp" }],
    },
  ],
});
const StampService = createFileRegistry(
  create(FileDescriptorSetSchema, { file: [file_google_protobuf_timestamp.proto, depProto, svcProto] }),
).getService("reflecttest.v1.StampService") as DescService;

const advertised = [EchoService, Health, StampService, ServerReflectionV1, ServerReflectionV1Alpha];
const options = (drainSignal?: AbortSignal): ReflectionOptions => ({
  serviceNames: () => advertised.map((s) => s.typeName),
  services: () => advertised,
  drainSignal,
});

/** An async iterable the test writes to request by request; `end()` half-closes. */
function pushable<T>() {
  const queue: (T | null)[] = [];
  let wake = (): void => {};
  return {
    push: (v: T) => {
      queue.push(v);
      wake();
    },
    end: () => {
      queue.push(null);
      wake();
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        while (!queue.length) await new Promise<void>((r) => (wake = r));
        const v = queue.shift() as T | null;
        if (v === null) return;
        yield v;
      }
    },
  };
}

type Req = Partial<Pick<ServerReflectionRequest, "host" | "messageRequest">>;

/** Opens a v1 (or v1alpha) stream over an in-memory transport; `ask` sends one request and reads one answer. */
function open(drainSignal?: AbortSignal, version: "v1" | "v1alpha" = "v1") {
  const transport = createRouterTransport((router: ConnectRouter) => {
    router.service(ServerReflectionV1, createReflectionV1(options(drainSignal)));
    router.service(ServerReflectionV1Alpha, createReflectionV1Alpha(options(drainSignal)));
  });
  const requests = pushable<Req>();
  const svc = version === "v1" ? ServerReflectionV1 : ServerReflectionV1Alpha;
  const responses = createClient(svc, transport).serverReflectionInfo(requests)[Symbol.asyncIterator]();
  return {
    requests,
    responses,
    async ask(req: Req) {
      requests.push(req);
      const r = await responses.next();
      assert.equal(r.done, false);
      return r.value!;
    },
  };
}

const fileNames = (bytes: Uint8Array[]) => bytes.map((b) => fromBinary(FileDescriptorProtoSchema, b).name);

describe("platform/reflection", () => {
  describe("in memory", () => {
    it("lists the advertised services and echoes host and request", async () => {
      const s = open();
      const res = await s.ask({ host: "h", messageRequest: { case: "listServices", value: "*" } });
      assert.equal(res.validHost, "h");
      assert.equal(res.originalRequest?.messageRequest.case, "listServices");
      assert.equal(res.messageResponse.case, "listServicesResponse");
      assert.deepEqual(
        res.messageResponse.value.service.map((x) => x.name),
        advertised.map((x) => x.typeName),
      );
      s.requests.end();
      assert.equal((await s.responses.next()).done, true);
    });

    it("answers file_containing_symbol for a method with the file and its deps", async () => {
      const s = open();
      const echo = await s.ask({
        messageRequest: { case: "fileContainingSymbol", value: "boxoffice.testing.v1.EchoService.Echo" },
      });
      assert.equal(echo.messageResponse.case, "fileDescriptorResponse");
      assert.deepEqual(fileNames(echo.messageResponse.value.fileDescriptorProto), [
        "boxoffice/testing/v1/echo_service.proto",
      ]);
      const stamp = await s.ask({
        messageRequest: { case: "fileContainingSymbol", value: "reflecttest.v1.StampService.Get" },
      });
      assert.equal(stamp.messageResponse.case, "fileDescriptorResponse");
      assert.deepEqual(fileNames(stamp.messageResponse.value.fileDescriptorProto), [
        "reflecttest/v1/svc.proto",
        "reflecttest/v1/dep.proto",
        "google/protobuf/timestamp.proto",
      ]);
      s.requests.end();
    });

    it("resolves messages, nested types, fields, enums, enum values and files", async () => {
      const s = open();
      const first = async (req: Req) => {
        const r = await s.ask(req);
        assert.equal(r.messageResponse.case, "fileDescriptorResponse", JSON.stringify(req.messageRequest));
        return fileNames(r.messageResponse.value.fileDescriptorProto)[0];
      };
      const sym = (value: string) => first({ messageRequest: { case: "fileContainingSymbol", value } });
      const inDep = ["Stamp", "Stamp.Inner", "Stamp.at", "Color", "COLOR_RED", "Color.COLOR_RED", "note"];
      for (const name of inDep) assert.equal(await sym(`reflecttest.v1.${name}`), "reflecttest/v1/dep.proto", name);
      assert.equal(await sym("grpc.health.v1.Health"), "grpc/health/v1/health.proto");
      assert.equal(await sym("google.protobuf.Timestamp"), "google/protobuf/timestamp.proto");
      // the error details the platform sends, though no advertised service names them
      for (const detail of ["google.rpc.ErrorInfo", "google.rpc.BadRequest", "google.rpc.RetryInfo"])
        assert.equal(await sym(detail), "google/rpc/error_details.proto", detail);
      const ts = "google/protobuf/timestamp.proto";
      assert.equal(await first({ messageRequest: { case: "fileByFilename", value: ts } }), ts);
      const ext = { containingType: "reflecttest.v1.Stamp", extensionNumber: 150 };
      assert.equal(
        await first({ messageRequest: { case: "fileContainingExtension", value: ext as never } }),
        "reflecttest/v1/dep.proto",
      );
      const nums = await s.ask({
        messageRequest: { case: "allExtensionNumbersOfType", value: "reflecttest.v1.Stamp" },
      });
      assert.equal(nums.messageResponse.case, "allExtensionNumbersResponse");
      assert.deepEqual(nums.messageResponse.value.extensionNumber, [150]);
      s.requests.end();
    });

    it("answers unknown names with error_response NOT_FOUND and keeps the stream open", async () => {
      const s = open();
      for (const messageRequest of [
        { case: "fileContainingSymbol", value: "no.such.Symbol" },
        { case: "fileContainingSymbol", value: "boxoffice.testing.v1.EchoService.Nope" },
        { case: "fileByFilename", value: "nope.proto" },
        { case: "allExtensionNumbersOfType", value: "no.such.Type" },
      ] as const) {
        const res = await s.ask({ messageRequest });
        assert.equal(res.messageResponse.case, "errorResponse");
        assert.equal(res.messageResponse.value.errorCode, 5);
        assert.match(res.messageResponse.value.errorMessage, /not found/);
      }
      const ok = await s.ask({ messageRequest: { case: "listServices", value: "" } });
      assert.equal(ok.messageResponse.case, "listServicesResponse");
      s.requests.end();
    });

    it("serves v1alpha too", async () => {
      const s = open(undefined, "v1alpha");
      const res = await s.ask({
        messageRequest: { case: "fileContainingSymbol", value: "grpc.health.v1.Health.Check" },
      });
      assert.equal(res.$typeName, "grpc.reflection.v1alpha.ServerReflectionResponse");
      assert.equal(res.originalRequest?.$typeName, "grpc.reflection.v1alpha.ServerReflectionRequest");
      assert.equal(res.messageResponse.case, "fileDescriptorResponse");
      s.requests.end();
    });

    it("ends open streams cleanly when the drain signal aborts", async () => {
      const drain = new AbortController();
      const s = open(drain.signal);
      await s.ask({ messageRequest: { case: "listServices", value: "" } });
      drain.abort();
      assert.equal((await s.responses.next()).done, true);
    });
  });

  describe("over a socket with grpc-js-reflection-client", () => {
    let server: http2.Http2Server;
    let host = "";
    const clients: GrpcReflection[] = [];
    const sessions = new Set<http2.ServerHttp2Session>();

    before(async () => {
      const routes = (router: ConnectRouter) => {
        router.service(ServerReflectionV1, createReflectionV1(options()));
        router.service(ServerReflectionV1Alpha, createReflectionV1Alpha(options()));
        router.service(Health, { check: () => ({ status: HealthCheckResponse_ServingStatus.SERVING }) });
        router.service(EchoService, { echo: (req) => ({ message: req.message }) });
      };
      server = http2.createServer(connectNodeAdapter({ routes }));
      server.on("session", (s) => {
        sessions.add(s);
        s.on("close", () => sessions.delete(s));
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    after(async () => {
      // The client keeps its grpc-js channel in a private field and has no close().
      for (const c of clients) (c as unknown as { client: GrpcClient }).client.close();
      for (const s of sessions) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    for (const version of ["v1alpha", "v1"]) {
      it(`lists services and describes a method (${version})`, async () => {
        const client = new GrpcReflection(host, credentials.createInsecure(), {}, version);
        clients.push(client);
        assert.deepEqual(
          await client.listServices(),
          advertised.map((s) => s.typeName),
        );
        const descriptor = await client.getDescriptorBySymbol("boxoffice.testing.v1.EchoService.Echo");
        const method = descriptor.getProtobufJsRoot().lookup("boxoffice.testing.v1.EchoService.Echo");
        assert.ok(method, "Echo method resolved");
        const methods = await client.listMethods("boxoffice.testing.v1.EchoService");
        assert.deepEqual(methods.map((m) => m.name).sort(), ["Echo", "EchoStream"]);
        // The client fetches imports one by one with file_by_filename.
        const stamp = await client.getDescriptorBySymbol("reflecttest.v1.StampService");
        assert.ok(stamp.getProtobufJsRoot().lookup("google.protobuf.Timestamp"));
        await assert.rejects(client.getDescriptorBySymbol("no.such.Symbol"), /not found/);
      });
    }
  });
});
