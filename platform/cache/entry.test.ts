import assert from "node:assert/strict";
import { type Item, jsonCodec } from "../../test/support/cache-kit.js";
import { decodeEntry, encodeEntry, type LocalEntry, LocalTier } from "./entry.js";

describe("cache entry format and local tier (no Redis)", () => {
  it("round-trips values and markers; rejects bytes it did not write", () => {
    const item: Item = { id: "a", name: "Ä ünïcode", version: 3 };
    assert.deepEqual(
      decodeEntry(jsonCodec, encodeEntry(jsonCodec, { present: true, value: item, refreshAt: 1234.5 })),
      { present: true, value: item, refreshAt: 1234.5 },
    );
    const marker = decodeEntry(jsonCodec, encodeEntry(jsonCodec, { present: false, value: undefined, refreshAt: 99 }));
    assert.deepEqual(marker, { present: false, value: undefined, refreshAt: Infinity });
    assert.throws(() => decodeEntry(jsonCodec, Buffer.from("{}")), /too short/);
    assert.throws(() => decodeEntry(jsonCodec, Buffer.alloc(12, 7)), /unknown tag/);
  });

  it("expires entries and evicts the oldest beyond maxEntries", () => {
    const t = new LocalTier<number>(3);
    const e = (v: number, expiresAt = 100): LocalEntry<number> => ({
      present: true,
      value: v,
      refreshAt: Infinity,
      expiresAt,
      token: undefined,
      bytes: 10,
    });
    for (let i = 0; i < 5; i++) t.set(`k${i}`, e(i));
    assert.equal(t.size, 3);
    assert.equal(t.get("k0", 0), undefined);
    assert.equal(t.get("k4", 0)?.value, 4);
    assert.equal(t.get("k4", 100), undefined, "expired at expiresAt");
    assert.equal(t.size, 2);
  });

  it("bounds its bytes: evicts the oldest to make room and keeps no entry larger than the bound", () => {
    const t = new LocalTier<number>(1000, 100);
    const e = (v: number, bytes: number): LocalEntry<number> => ({
      present: true,
      value: v,
      refreshAt: Infinity,
      expiresAt: 100,
      token: undefined,
      bytes,
    });
    for (let i = 0; i < 10; i++) t.set(`k${i}`, e(i, 30));
    assert.equal(t.size, 3, "3 × 30 bytes fit in 100");
    assert.equal(t.bytes, 90);
    assert.equal(t.get("k9", 0)?.value, 9);
    assert.equal(t.get("k6", 0), undefined, "oldest evicted");
    t.set("huge", e(-1, 101));
    assert.equal(t.get("huge", 0), undefined, "larger than the whole bound: not kept");
    assert.equal(t.bytes, 90);
    t.set("k9", e(9, 50)); // replacing counts only the new size: 30 + 30 + 50 > 100 evicts k7
    assert.equal(t.bytes, 80);
    assert.equal(t.get("k7", 0), undefined);
    t.delete("k9");
    assert.equal(t.bytes, 30);
    t.clear();
    assert.equal(t.bytes, 0);
  });
});
