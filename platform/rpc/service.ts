import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { Access } from "./access.js";

/** Who may call each RPC of a service: one entry per method, by its TypeScript (localName) key. */
export type AccessMap<D extends DescService> = { readonly [K in keyof D["method"]]: Access };

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
