import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { Access } from "./access.js";

/** Who may call each RPC of a service: one entry per method, by its TypeScript (localName) key. */
export type AccessMap<D extends DescService> = { readonly [K in keyof D["method"]]: Access };

/**
 * A service's contract as the platform sees it: the descriptor and who may call each RPC. Each
 * service declares its contracts statically (`services/<name>/access.ts`), so tools that render
 * mesh policies and ingress routes read the same declarations the server enforces.
 */
export interface ServiceContract<D extends DescService = DescService> {
  readonly desc: D;
  readonly access: AccessMap<D>;
}

/** Declares a contract (typed per service: every method needs an entry). */
export function contract<D extends DescService>(desc: D, access: AccessMap<D>): ServiceContract<D> {
  return { desc, access };
}

/**
 * Refuses a module whose served services differ from its declared contracts: a served service
 * without a contract, a contract not served, or an access map other than the declared one.
 */
export function assertServesContracts(
  module: string,
  contracts: readonly ServiceContract[],
  served: readonly ServiceRegistration[],
): void {
  const declared = new Map(contracts.map((c) => [c.desc.typeName, c]));
  const problems: string[] = [];
  for (const reg of served) {
    const c = declared.get(reg.desc.typeName);
    if (c === undefined) problems.push(`${reg.desc.typeName} is served but not declared`);
    else if (c.access !== reg.access) problems.push(`${reg.desc.typeName} is served with other access rules`);
    declared.delete(reg.desc.typeName);
  }
  for (const name of declared.keys()) problems.push(`${name} is declared but not served`);
  if (problems.length > 0) throw new Error(`service ${module}: ${problems.join("; ")}`);
}

/** A service as a process serves it: descriptor, access declarations and implementation. */
export interface ServiceRegistration<D extends DescService = DescService> {
  readonly desc: D;
  readonly access: AccessMap<D>;
  readonly impl: Partial<ServiceImpl<D>>;
}

/** Declares a fully implemented service. */
export function defineService<D extends DescService>(
  desc: D,
  access: AccessMap<D>,
  impl: ServiceImpl<D>,
): ServiceRegistration<D> {
  return { desc, access, impl };
}

/**
 * A service whose contract exists but whose implementation lands later: every RPC answers
 * UNIMPLEMENTED with `why` in the message. Access is still declared, so the contract's security
 * shape is decided with the contract.
 */
export function unimplementedService<D extends DescService>(
  desc: D,
  access: AccessMap<D>,
  why: string,
): ServiceRegistration<D> {
  const impl: Record<string, unknown> = {};
  for (const m of desc.methods) {
    const fail = () =>
      new ConnectError(`${desc.typeName}/${m.name} is not implemented yet: ${why}`, Code.Unimplemented);
    impl[m.localName] =
      m.methodKind === "unary" || m.methodKind === "client_streaming"
        ? () => Promise.reject(fail())
        : () => ({
            [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(fail()) }),
          });
  }
  return { desc, access, impl: impl as Partial<ServiceImpl<D>> };
}

/** The HTTP path of an RPC, `/pkg.Service/Method`, used as the key of access tables and metrics. */
export function procedureOf(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}

/** Thrown at start-up when an RPC has no access declaration. */
export class MissingAccessError extends Error {
  constructor(readonly procedures: string[]) {
    super(`refusing to start: no access declaration for ${procedures.join(", ")}`);
    this.name = "MissingAccessError";
  }
}

/**
 * Builds the access table of a process and checks that every RPC of every registered service has a
 * declaration (the type system checks it for literal maps; this also catches maps built at run time).
 */
export function buildAccessTable(registrations: readonly ServiceRegistration[]): Map<string, Access> {
  const table = new Map<string, Access>();
  const missing: string[] = [];
  for (const reg of registrations) {
    const declared = reg.access as Record<string, Access | undefined>;
    for (const m of reg.desc.methods) {
      const rule = declared[m.localName];
      if (rule === undefined) missing.push(procedureOf(m));
      else table.set(procedureOf(m), rule);
    }
  }
  if (missing.length > 0) throw new MissingAccessError(missing);
  return table;
}
