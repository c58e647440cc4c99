import assert from "node:assert/strict";
import { ConnectError } from "@connectrpc/connect";

/** The error a call must fail with (as a ConnectError); fails the test when the call succeeds. */
export async function failure(p: Promise<unknown>): Promise<ConnectError> {
  try {
    await p;
  } catch (e) {
    return ConnectError.from(e);
  }
  assert.fail("expected the call to fail");
}
