import assert from "node:assert/strict";
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";

/** Shared assertions on RPC failures: the one place suites take them from. */

/** The error a call must fail with (as a ConnectError); fails the test when the call succeeds. */
export async function failure(p: Promise<unknown>): Promise<ConnectError> {
  try {
    await p;
  } catch (e) {
    return ConnectError.from(e);
  }
  assert.fail("expected the call to fail");
}

/** The `google.rpc.ErrorInfo` reason of an error. */
export const reason = (e: ConnectError): string | undefined => e.findDetails(ErrorInfoSchema)[0]?.reason;

/** The fields named by an error's `google.rpc.BadRequest` violations. */
export const violationFields = (e: ConnectError): string[] =>
  e.findDetails(BadRequestSchema).flatMap((b) => b.fieldViolations.map((v) => v.field));

/** Fails unless `p` fails with `code`; returns the error. `what` names the call in the failure message. */
export async function rejects(p: Promise<unknown>, code: Code, what: string): Promise<ConnectError> {
  let answer: unknown;
  try {
    answer = await p;
  } catch (e) {
    const err = ConnectError.from(e);
    assert.equal(
      Code[err.code],
      Code[code],
      `${what}: expected ${Code[code]}, got ${Code[err.code]} (${err.rawMessage})`,
    );
    return err;
  }
  const shown = JSON.stringify(answer, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v)) ?? "";
  assert.fail(`${what}: expected ${Code[code]}, but the call succeeded: ${shown.slice(0, 400)}`);
}

/** Fails unless `p` is INVALID_ARGUMENT with a BadRequest field violation on `field` (a path, or a pattern). */
export async function invalid(p: Promise<unknown>, field: string | RegExp, what: string): Promise<ConnectError> {
  const e = await rejects(p, Code.InvalidArgument, what);
  const fields = violationFields(e);
  const ok = typeof field === "string" ? fields.includes(field) : fields.some((f) => field.test(f));
  assert.ok(ok, `${what}: expected a field violation on ${String(field)}, got ${JSON.stringify(fields)}`);
  return e;
}
