/**
 * gRPC server reflection (grpc.reflection.v1 and v1alpha) for Connect-ES v2 servers, so tools such
 * as grpcurl, grpcui and Postman can discover the services without .proto files.
 *
 * There is no npm reflection package for connect-node (@grpc/reflection only plugs into a
 * @grpc/grpc-js server), which is why this module exists. Both versions share one handler; the
 * messages are structurally identical and only their schemas differ.
 */

import type { DescFile, DescMessage, DescService, FileRegistry, Message } from "@bufbuild/protobuf";
import { create, createFileRegistry, toBinary } from "@bufbuild/protobuf";
import type { GenMessage } from "@bufbuild/protobuf/codegenv2";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { file_google_rpc_error_details } from "../../gen/google/rpc/error_details_pb.js";
import * as v1 from "../../gen/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";

export { ServerReflection as ServerReflectionV1 } from "../../gen/grpc/reflection/v1/reflection_pb.js";
export { ServerReflection as ServerReflectionV1Alpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";

/** What the reflection service advertises. */
export interface ReflectionOptions {
  /** Fully-qualified names of the services to advertise in list_services, e.g. "grpc.health.v1.Health". Called per request (the set is fixed after start-up). */
  serviceNames: () => readonly string[];
  /** Descriptors of the advertised services; their files and all transitive dependencies are served. */
  services: () => readonly DescService[];
  /** When aborted (server draining), open reflection streams end cleanly (no error). */
  drainSignal?: AbortSignal;
}

/** Implements `grpc.reflection.v1.ServerReflection` (pass to `router.service(ServerReflectionV1, …)`). */
export function createReflectionV1(opts: ReflectionOptions): ServiceImpl<typeof v1.ServerReflection> {
  return {
    serverReflectionInfo: reflectionInfo<v1.ServerReflectionRequest, v1.ServerReflectionResponse>(
      v1.ServerReflectionResponseSchema,
      opts,
    ),
  };
}

/** Implements `grpc.reflection.v1alpha.ServerReflection`, still the default of many clients. */
export function createReflectionV1Alpha(opts: ReflectionOptions): ServiceImpl<typeof v1alpha.ServerReflection> {
  return {
    serverReflectionInfo: reflectionInfo<v1alpha.ServerReflectionRequest, v1alpha.ServerReflectionResponse>(
      v1alpha.ServerReflectionResponseSchema,
      opts,
    ),
  };
}

type AnyRequest = v1.ServerReflectionRequest | v1alpha.ServerReflectionRequest;

/** The version-neutral `message_response` oneof; turned into the version's message by `create`. */
type Answer =
  | { case: "fileDescriptorResponse"; value: { fileDescriptorProto: Uint8Array[] } }
  | { case: "allExtensionNumbersResponse"; value: { baseTypeName: string; extensionNumber: number[] } }
  | { case: "listServicesResponse"; value: { service: { name: string }[] } }
  | { case: "errorResponse"; value: { errorCode: number; errorMessage: string } };

/** The one handler, parameterised by the response schema of the version. */
function reflectionInfo<Req extends AnyRequest, Res extends Message>(
  responseSchema: GenMessage<Res>,
  opts: ReflectionOptions,
): (requests: AsyncIterable<Req>, ctx: HandlerContext) => AsyncGenerator<Res> {
  const catalog = new CatalogCache(opts.services);
  return async function* (requests) {
    for await (const req of untilAborted(requests, opts.drainSignal)) {
      const messageResponse = answer(req, catalog.get(), opts.serviceNames);
      const init = { validHost: req.host, originalRequest: req, messageResponse };
      // Same shape in v1 and v1alpha; `originalRequest` is the request of the same version.
      yield create(responseSchema as DescMessage, init) as Res;
    }
  };
}

function answer(req: AnyRequest, catalog: Catalog, serviceNames: () => readonly string[]): Answer {
  const r = req.messageRequest;
  switch (r.case) {
    case "listServices":
      return { case: "listServicesResponse", value: { service: serviceNames().map((name) => ({ name })) } };
    case "fileByFilename":
      return catalog.filesFor(catalog.registry.getFile(r.value), `file "${r.value}"`);
    case "fileContainingSymbol":
      return catalog.filesFor(findSymbol(catalog.registry, r.value), `symbol "${r.value}"`);
    case "fileContainingExtension": {
      const { containingType, extensionNumber } = r.value;
      const extendee = catalog.registry.getMessage(containingType);
      const ext = extendee && catalog.registry.getExtensionFor(extendee, extensionNumber);
      return catalog.filesFor(ext?.file, `extension ${extensionNumber} of "${containingType}"`);
    }
    case "allExtensionNumbersOfType": {
      if (!catalog.registry.getMessage(r.value)) return notFound(`type "${r.value}"`);
      const numbers: number[] = [];
      for (const t of catalog.registry) {
        if (t.kind === "extension" && t.extendee.typeName === r.value) numbers.push(t.number);
      }
      const value = { baseTypeName: r.value, extensionNumber: numbers.sort((a, b) => a - b) };
      return { case: "allExtensionNumbersResponse", value };
    }
    default:
      return error(Code.InvalidArgument, "invalid reflection request: message_request is not set");
  }
}

function notFound(what: string): Answer {
  return error(Code.NotFound, `${what} not found`);
}

function error(code: Code, errorMessage: string): Answer {
  // Connect's Code enum uses the gRPC numbering (NotFound = 5, InvalidArgument = 3).
  return { case: "errorResponse", value: { errorCode: code, errorMessage } };
}

/**
 * Finds the file defining `name`: a type (message, nested message, enum, service, extension) or a
 * member of one: a method, a field or oneof, an enum value (in the scope of its enum's parent, as
 * protoc names it, or under the enum itself).
 */
function findSymbol(registry: FileRegistry, name: string): DescFile | undefined {
  const type = registry.get(name);
  if (type) return type.file;
  const dot = name.lastIndexOf(".");
  if (dot < 0) return undefined;
  const scope = name.slice(0, dot);
  const member = name.slice(dot + 1);
  const hasValue = (enums: readonly { values: readonly { name: string }[] }[]) =>
    enums.some((e) => e.values.some((v) => v.name === member));
  const parent = registry.get(scope);
  switch (parent?.kind) {
    case "service":
      return parent.methods.some((m) => m.name === member) ? parent.file : undefined;
    case "enum":
      return hasValue([parent]) ? parent.file : undefined;
    case "message": {
      const members = [...parent.fields, ...parent.oneofs];
      return members.some((m) => m.name === member) || hasValue(parent.nestedEnums) ? parent.file : undefined;
    }
    case undefined:
      // A top-level enum value, e.g. "pkg.v1.COLOR_RED".
      for (const file of registry.files) {
        if (file.proto.package === scope && hasValue(file.enums)) return file;
      }
  }
  return undefined;
}

/** The advertised files, indexed, with their serialised form cached. */
class Catalog {
  readonly registry: FileRegistry;
  readonly #bytes = new Map<string, Uint8Array>();

  constructor(services: readonly DescService[]) {
    // Keyed by FileDescriptorProto.name ("a/b.proto"); DescFile.name drops the ".proto" suffix.
    const all = new Map<string, DescFile>();
    const visit = (f: DescFile): void => {
      if (all.has(f.proto.name)) return;
      all.set(f.proto.name, f);
      f.dependencies.forEach(visit);
    };
    for (const s of services) visit(s.file);
    // The error details every service sends (ErrorInfo, BadRequest, RetryInfo) are served too, so
    // grpcurl and `buf curl` print them decoded instead of as base64.
    visit(file_google_rpc_error_details);
    const tops = [...new Set([...services.map((s) => s.file), file_google_rpc_error_details])];
    const registries = tops.map((f) => createFileRegistry(f.proto, (name) => all.get(name)));
    this.registry = createFileRegistry(...registries);
  }

  /** `file` serialised, followed by its transitive dependencies, each once; NOT_FOUND without a file. */
  filesFor(file: DescFile | undefined, what: string): Answer {
    if (!file) return notFound(what);
    const out: Uint8Array[] = [];
    const seen = new Set<string>();
    const visit = (f: DescFile): void => {
      if (seen.has(f.proto.name)) return;
      seen.add(f.proto.name);
      let bytes = this.#bytes.get(f.proto.name);
      if (!bytes) this.#bytes.set(f.proto.name, (bytes = toBinary(FileDescriptorProtoSchema, f.proto)));
      out.push(bytes);
      f.dependencies.forEach(visit);
    };
    visit(file);
    return { case: "fileDescriptorResponse", value: { fileDescriptorProto: out } };
  }
}

/** Builds the catalog on first use and again only if the list of services changes. */
class CatalogCache {
  #services: readonly DescService[] = [];
  #catalog: Catalog | undefined;

  constructor(private readonly source: () => readonly DescService[]) {}

  get(): Catalog {
    const services = this.source();
    const same = services.length === this.#services.length && services.every((s, i) => s === this.#services[i]);
    if (!this.#catalog || !same) {
      this.#catalog = new Catalog(services);
      this.#services = [...services];
    }
    return this.#catalog;
  }
}

/** Yields from `source` until it ends or `signal` aborts; an abort ends the iteration without error. */
async function* untilAborted<T>(source: AsyncIterable<T>, signal: AbortSignal | undefined): AsyncGenerator<T> {
  if (!signal) return yield* source;
  const it = source[Symbol.asyncIterator]();
  let onAbort = (): void => {};
  const aborted = new Promise<"aborted">((resolve) => (onAbort = () => resolve("aborted")));
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    while (!signal.aborted) {
      const next = it.next();
      const r = await Promise.race([next, aborted]);
      if (r === "aborted") {
        // The pending read may still settle (or fail when the stream is reset); nobody awaits it.
        next.catch(() => {});
        Promise.resolve(it.return?.()).catch(() => {});
        return;
      }
      if (r.done) return;
      yield r.value;
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}
