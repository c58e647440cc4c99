/**
 * What the mesh needs to know about every RPC, read from the services' static contracts (access
 * declarations) and the proto descriptors (idempotency level, `request_id`, streaming). Policies,
 * routes and retry rules are rendered from these facts, and the offline checks compare the rendered
 * objects against them.
 */
import type { DescMethod } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import type { ServiceModule } from "../../platform/app/index.js";
import type { ServiceName } from "../../platform/config/runtime.js";
import type { Access } from "../../platform/rpc/access.js";
import { procedureOf, type ServiceContract } from "../../platform/rpc/service.js";

/** One RPC as the mesh sees it. */
export interface MethodFacts {
  /** The service (Deployment) that serves it. */
  readonly service: ServiceName;
  /** `boxoffice.ticket.v1.TicketService`. */
  readonly contract: string;
  /** Internal contracts (`…InternalService`) are never routed by the ingress. */
  readonly internalContract: boolean;
  /** The HTTP path, `/boxoffice.ticket.v1.TicketService/Checkout`. */
  readonly path: string;
  readonly access: Access;
  readonly idempotency: "NO_SIDE_EFFECTS" | "IDEMPOTENT" | "UNKNOWN";
  /** The request message declares `request_id` (AIP-155: the server replays a repeat). */
  readonly requestId: boolean;
  /** The request message declares `page_token` (the service signs page tokens). */
  readonly paged: boolean;
  /** Server, client or bidi streaming: no route timeout, never retried. */
  readonly streaming: boolean;
}

const levels: Record<MethodOptions_IdempotencyLevel, MethodFacts["idempotency"]> = {
  [MethodOptions_IdempotencyLevel.IDEMPOTENCY_UNKNOWN]: "UNKNOWN",
  [MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS]: "NO_SIDE_EFFECTS",
  [MethodOptions_IdempotencyLevel.IDEMPOTENT]: "IDEMPOTENT",
};

/** Facts of one method of a contract served by `service`. */
export function methodFacts(service: ServiceName, method: DescMethod, rule: Access): MethodFacts {
  const fields = method.input.fields.map((f) => f.name);
  return {
    service,
    contract: method.parent.typeName,
    internalContract: method.parent.typeName.endsWith("InternalService"),
    path: procedureOf(method),
    access: rule,
    idempotency: levels[method.idempotency],
    requestId: fields.includes("request_id"),
    paged: fields.includes("page_token"),
    streaming: method.methodKind !== "unary",
  };
}

/** Facts of every method of `contracts`, in declaration order. */
export function contractFacts(service: ServiceName, contracts: readonly ServiceContract[]): MethodFacts[] {
  return contracts.flatMap((c) =>
    c.desc.methods.map((m) => {
      const rule = (c.access as Record<string, Access | undefined>)[m.localName];
      if (rule === undefined) throw new Error(`${procedureOf(m)} has no access declaration`);
      return methodFacts(service, m, rule);
    }),
  );
}

/** Facts of every RPC of every module. */
export function allFacts(modules: Readonly<Record<ServiceName, ServiceModule>>): MethodFacts[] {
  return Object.values(modules).flatMap((m) => contractFacts(m.name, m.contracts));
}

/**
 * Whether the mesh may retry the RPC: a read (NO_SIDE_EFFECTS), or a request carrying `request_id`,
 * which the server dedupes (AIP-155). The proxy cannot see the body, so "carrying" means the request
 * message declares the field; an empty one is refused by validation before any effect. Streams are
 * never retried (a retry would replay a half-consumed stream).
 */
export function retrySafe(f: MethodFacts): boolean {
  if (f.streaming) return false;
  return f.idempotency === "NO_SIDE_EFFECTS" || f.requestId;
}

/** Whether the ingress gateway may reach the RPC: a public contract's public or user RPC. */
export function ingressReachable(f: MethodFacts): boolean {
  return !f.internalContract && f.access.kind !== "internal";
}

/**
 * Services that call internal RPCs with a service token (the declared callers of every internal
 * RPC): they need their own service secret and may exchange it at auth's public-on-internal RPC
 * (IssueServiceToken).
 */
export function serviceCallers(facts: readonly MethodFacts[]): ServiceName[] {
  const callers = new Set<string>();
  for (const f of facts) if (f.access.kind === "internal") for (const c of f.access.callers) callers.add(c);
  return [...callers].sort() as ServiceName[];
}

/** The services `caller` reaches over the network: the owners of internal RPCs it is declared for. */
export function calledServices(facts: readonly MethodFacts[], caller: ServiceName): ServiceName[] {
  const called = new Set<ServiceName>();
  for (const f of facts) {
    if (f.access.kind === "internal" && f.access.callers.includes(caller) && f.service !== caller)
      called.add(f.service);
  }
  return [...called].sort();
}
