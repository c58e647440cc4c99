import { randomUUID } from "node:crypto";
import type { DescMethod } from "@bufbuild/protobuf";

/**
 * One row per public RPC: a valid Connect/JSON request with the answer it gets, and requests that
 * break one declared rule each, with the field and rule id the BadRequest must name. Bodies are
 * protobuf JSON, as a browser sends them.
 */
export type Json = { [k: string]: unknown };
export type Caller = "anonymous" | "customer" | "organizer" | "admin";
export type Kind = "too long" | "not a UUID" | "out of range" | "missing" | "undefined enum" | "malformed";
export interface Violating {
  kind: Kind;
  body: Json;
  field: string;
  rule: string;
}
export interface Row {
  method: DescMethod;
  as: Caller;
  valid: Json;
  /** The answer of the valid request (Connect code name): never invalid_argument. */
  answers: "ok" | "not_found" | "failed_precondition" | "unimplemented";
  violating: Violating[];
}

/** What the valid requests need from the running process. */
export interface Fixture {
  email: string;
  password: string;
  refreshToken: string;
}

/** A copy of `body` with the value at `path` (`a.b[0].c`, JSON names) replaced; `undefined` removes it. */
export function patch(body: Json, path: string, value: unknown): Json {
  const copy = structuredClone(body);
  const keys = path.split(/\.|\[(\d+)\]/).filter((k) => k !== undefined && k !== "");
  let at: Record<string, unknown> = copy;
  for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
  const last = keys.at(-1)!;
  if (value === undefined) delete at[last];
  else at[last] = value;
  return copy;
}

export const x = (n: number) => "x".repeat(n);
export const uuid = () => randomUUID();
export const rid = () => randomUUID();
export const DAY = 86_400_000;
export const at = (ms: number) => new Date(ms).toISOString();

/** Shorthand: one violating request made from `valid` by setting one path. */
export const v = (valid: Json, kind: Kind, path: string, value: unknown, field: string, rule: string): Violating => ({
  kind,
  body: patch(valid, path, value),
  field,
  rule,
});
