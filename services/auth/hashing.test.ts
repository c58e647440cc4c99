import assert from "node:assert/strict";
import { DomainError, ResourceExhaustedError } from "../../platform/errors/index.js";
import { PasswordHasher } from "./hashing.js";

/** The bounded hashing queue with a controllable stand-in KDF (no server, no argon2). */
describe("password hashing queue (no I/O)", () => {
  /** A KDF whose calls finish only when released, counting how many run at once. */
  function gatedKdf() {
    const waiting: Array<() => void> = [];
    const state = { running: 0, most: 0 };
    const hash = async (p: string) => {
      state.running++;
      state.most = Math.max(state.most, state.running);
      await new Promise<void>((resolve) => waiting.push(resolve));
      state.running--;
      return `hash(${p})`;
    };
    const release = async () => {
      while (waiting.length > 0) {
        waiting.shift()!();
        await new Promise((r) => setImmediate(r));
      }
    };
    return { hash, release, state };
  }

  it("runs at most `concurrency` hashes, queues `queue` more, refuses the rest at once with RESOURCE_EXHAUSTED and a retry delay", async () => {
    const kdf = gatedKdf();
    const hasher = new PasswordHasher({ concurrency: 2, queue: 3, hash: kdf.hash });
    const calls = Array.from({ length: 8 }, (_, i) =>
      hasher.hash(`p${i}`).then(
        (h) => ({ ok: h }),
        (e: unknown) => ({ err: e }),
      ),
    );
    await new Promise((r) => setImmediate(r));
    assert.equal(kdf.state.running, 2, "two run");
    assert.equal(hasher.rejected, 3, "the three past the queue are refused before anything finishes");
    await kdf.release();
    const results = await Promise.all(calls);
    assert.deepEqual(
      results.filter((r) => "ok" in r).map((r) => (r as { ok: string }).ok),
      ["hash(p0)", "hash(p1)", "hash(p2)", "hash(p3)", "hash(p4)"],
    );
    for (const r of results.filter((x) => "err" in x)) {
      const e = (r as { err: unknown }).err;
      assert.ok(e instanceof DomainError && e.reason === "PASSWORD_HASHING_BUSY", String(e));
      assert.ok(e instanceof ResourceExhaustedError);
      assert.ok((e.retryAfterMs ?? 0) >= 1000, "RetryInfo of at least a second");
    }
    assert.equal(kdf.state.most, 2, "never more than two at once");
  });

  it("a slot frees when a hash fails, and the failure is the caller's", async () => {
    const hasher = new PasswordHasher({
      concurrency: 1,
      queue: 0,
      hash: async (p) => {
        if (p === "bad") throw new Error("kdf failed");
        return "ok";
      },
    });
    await assert.rejects(hasher.hash("bad"), /kdf failed/);
    assert.equal(await hasher.hash("good"), "ok");
  });
});
