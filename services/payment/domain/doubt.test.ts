import assert from "node:assert/strict";
import { doubtAfterRefusal, doubtAfterUnknown, doubtWhileSending, notFoundIsConclusive } from "./doubt.js";

const t = (s: number) => new Date(Date.UTC(2030, 0, 1) + s * 1000);
const b = { inFlightMs: 5_000, retryGraceMs: 3_000 };

describe("payment doubt window (when the provider's 'not found' is conclusive)", () => {
  it("a refusal before processing leaves only the retry grace: conclusive seconds later", () => {
    const before = t(0);
    const sending = doubtWhileSending(before, t(19), b);
    assert.deepEqual(sending, t(24), "while sending: the lease plus the in-flight bound");
    const after = doubtAfterRefusal(before, t(1), b);
    assert.deepEqual(after, t(4));
    assert.equal(notFoundIsConclusive(after, t(3.9)), false);
    assert.equal(notFoundIsConclusive(after, t(4)), true);
  });

  it("an unknown outcome keeps the in-flight bound from the moment we stopped waiting", () => {
    assert.deepEqual(doubtAfterUnknown(t(0), t(4), b), t(9));
  });

  it("a process that died mid-call leaves the window at its lease's end plus the bound", () => {
    const w = doubtWhileSending(t(0), t(19), b);
    assert.equal(notFoundIsConclusive(w, t(23)), false);
    assert.equal(notFoundIsConclusive(w, t(24)), true);
  });

  it("never shortens an earlier attempt's window", () => {
    const unknownFirst = doubtAfterUnknown(t(0), t(10), b); // t(15)
    assert.deepEqual(doubtAfterRefusal(unknownFirst, t(11), b), t(15));
    assert.deepEqual(doubtAfterUnknown(unknownFirst, t(12), b), t(17));
    assert.deepEqual(doubtWhileSending(unknownFirst, t(5), b), t(15));
  });
});
