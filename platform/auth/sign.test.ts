import assert from "node:assert/strict";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { ManualClock } from "../clock/index.js";
import { TokenCache } from "./cache.js";
import { generateSigningKey, publicJwks, signAccessToken, signServiceToken } from "./sign.js";

describe("signing helpers", () => {
  const clock = new ManualClock(Date.UTC(2030, 0, 1, 12));
  const iat = Date.UTC(2030, 0, 1, 12) / 1000;

  it("generates an Ed25519 key pair labelled with its kid", async () => {
    const key = await generateSigningKey("2030-01");
    assert.equal(key.kid, "2030-01");
    assert.equal(typeof key.privateJwk.d, "string");
    assert.equal(key.publicJwk.d, undefined);
    assert.deepEqual(
      { ...key.publicJwk, x: undefined },
      { kty: "OKP", crv: "Ed25519", x: undefined, kid: "2030-01", alg: "EdDSA", use: "sig" },
    );
  });

  it("publishes only the public members of private keys", async () => {
    const [a, b] = await Promise.all([generateSigningKey("a"), generateSigningKey("b")]);
    const doc = publicJwks([a.privateJwk, b.privateJwk]);
    assert.deepEqual(doc, { keys: [a.publicJwk, b.publicJwk] });
    assert.ok(!JSON.stringify(doc).includes(a.privateJwk.d!));
    assert.throws(() => publicJwks([{ ...a.privateJwk, kid: undefined }]), /kid/);
    assert.throws(() => publicJwks([{ kty: "EC", crv: "P-256", x: "x", y: "y", kid: "ec" }]), /Ed25519/);
  });

  it("signs access tokens with the contract's header and claims", async () => {
    const key = await generateSigningKey("k");
    const token = await signAccessToken({
      key: key.privateJwk,
      issuer: "iss",
      ttlSeconds: 900,
      clock,
      subject: "u-1",
      roles: ["ORGANIZER"],
      jti: "j-1",
    });
    assert.deepEqual(decodeProtectedHeader(token), { alg: "EdDSA", kid: "k" });
    assert.deepEqual(decodeJwt(token), {
      iss: "iss",
      aud: "boxoffice",
      sub: "u-1",
      iat,
      exp: iat + 900,
      jti: "j-1",
      token_use: "access",
      roles: ["ORGANIZER"],
    });
  });

  it("signs service tokens with sub service:<name> and svc", async () => {
    const key = await generateSigningKey("k");
    const claims = decodeJwt(
      await signServiceToken({
        key: key.privateJwk,
        issuer: "iss",
        audience: "aud",
        ttlSeconds: 60,
        clock,
        service: "ticket",
      }),
    );
    assert.equal(claims.sub, "service:ticket");
    assert.equal(claims.svc, "ticket");
    assert.equal(claims.token_use, "service");
    assert.equal(claims.aud, "aud");
    assert.equal(typeof claims.jti, "string");
  });

  it("refuses what would make an off-contract token", async () => {
    const key = await generateSigningKey("k");
    const base = { key: key.privateJwk, issuer: "iss", ttlSeconds: 60, clock };
    await assert.rejects(signServiceToken({ ...base, service: "Ticket Service" }), /service name/);
    await assert.rejects(signAccessToken({ ...base, subject: "u", roles: ["ROOT" as never] }), /role/);
    await assert.rejects(signAccessToken({ ...base, subject: "service:ticket", roles: [] }), /user id/);
    await assert.rejects(signAccessToken({ ...base, key: key.publicJwk, subject: "u", roles: [] }), /private/);
    await assert.rejects(signAccessToken({ ...base, ttlSeconds: 0, subject: "u", roles: [] }), /ttlSeconds/);
  });
});

describe("TokenCache", () => {
  const principal = { kind: "service", service: "ticket" } as const;

  it("evicts an entry at its exp", () => {
    const cache = new TokenCache(10);
    cache.set("t", principal, 1_000);
    assert.equal(cache.get("t", 999), principal);
    assert.equal(cache.get("t", 1_000), undefined);
    assert.equal(cache.size, 0);
  });

  it("holds at most its capacity, dropping the least recently used", () => {
    const cache = new TokenCache(3);
    for (const t of ["a", "b", "c"]) cache.set(t, principal, 1_000);
    cache.get("a", 0);
    cache.set("d", principal, 1_000);
    assert.equal(cache.size, 3);
    assert.equal(cache.get("b", 0), undefined);
    assert.equal(cache.get("a", 0), principal);
  });
});
