import assert from "node:assert/strict";
import { Code } from "@connectrpc/connect";
import { base64url, importJWK, type JWK, SignJWT } from "jose";
import { type JwksServer, startJwksServer } from "../../test/support/jwks-server.js";
import { ManualClock } from "../clock/index.js";
import { UnauthenticatedError } from "../rpc/errors.js";
import {
  AUTH_REASONS,
  createTokenVerifier,
  generateSigningKey,
  type SigningKey,
  signAccessToken,
  signServiceToken,
  type TokenVerifier,
} from "./index.js";

const ISSUER = "boxoffice-auth";
const AUDIENCE = "boxoffice";
const bearer = (token: string) => new Headers({ authorization: `Bearer ${token}` });

/** Asserts that `p` rejects with UNAUTHENTICATED and `reason`, and that the token stays secret. */
async function rejectsWith(p: Promise<unknown>, reason: string, token?: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof UnauthenticatedError, `expected UnauthenticatedError, got ${String(err)}`);
    assert.equal(err.code, Code.Unauthenticated);
    assert.equal(err.reason, reason, err.message);
    if (token !== undefined) {
      for (const part of token.split("."))
        assert.ok(!err.message.includes(part), "the message must not quote the token");
    }
    return true;
  });
}

describe("createTokenVerifier", () => {
  let key: SigningKey;
  let jwks: JwksServer;
  let clock: ManualClock;
  let verify: TokenVerifier;
  const sign = {
    access: (
      o: {
        subject?: string;
        roles?: ("CUSTOMER" | "ORGANIZER" | "ADMIN")[];
        ttlSeconds?: number;
        issuer?: string;
        audience?: string;
      } = {},
    ) =>
      signAccessToken({
        key: key.privateJwk,
        issuer: o.issuer ?? ISSUER,
        audience: o.audience ?? AUDIENCE,
        ttlSeconds: o.ttlSeconds ?? 900,
        clock,
        subject: o.subject ?? "user-1",
        roles: o.roles ?? ["CUSTOMER"],
      }),
  };

  before(async () => {
    key = await generateSigningKey("k1");
    jwks = await startJwksServer([key.privateJwk]);
  });
  after(() => jwks.close());
  beforeEach(() => {
    clock = new ManualClock(Date.now());
    verify = createTokenVerifier({ jwks: jwks.url, issuer: ISSUER, audience: AUDIENCE, clock });
  });

  it("turns a user's access token into a user principal with its roles", async () => {
    const token = await sign.access({ subject: "u-42", roles: ["CUSTOMER", "ORGANIZER"] });
    assert.deepEqual(await verify(bearer(token)), { kind: "user", subject: "u-42", roles: ["CUSTOMER", "ORGANIZER"] });
  });

  it("turns a service token into a service principal", async () => {
    const token = await signServiceToken({
      key: key.privateJwk,
      issuer: ISSUER,
      audience: AUDIENCE,
      ttlSeconds: 300,
      clock,
      service: "ticket",
    });
    assert.deepEqual(await verify(bearer(token)), { kind: "service", service: "ticket" });
  });

  it("treats a call without an authorization header as anonymous, without fetching keys", async () => {
    const before = jwks.hits;
    assert.equal(await verify(new Headers()), undefined);
    assert.equal(jwks.hits, before);
  });

  it("accepts the Bearer scheme in any case and refuses other schemes and malformed headers", async () => {
    const token = await sign.access();
    assert.equal((await verify(new Headers({ authorization: `bEaReR ${token}` })))?.kind, "user");
    for (const value of [
      "Basic dXNlcjpwYXNz",
      "Bearer",
      "Bearer ",
      `Bearer ${token} extra`,
      `Token ${token}`,
      "",
      `Bearer ${"a".repeat(9000)}`,
    ]) {
      await rejectsWith(verify(new Headers({ authorization: value })), AUTH_REASONS.TOKEN_INVALID, token);
    }
    await rejectsWith(verify(bearer("not.a.jwt")), AUTH_REASONS.TOKEN_INVALID);
  });

  it("refuses an expired token, even one it has cached, using the injected clock", async () => {
    const token = await sign.access({ ttlSeconds: 60 });
    await verify(bearer(token));
    await verify(bearer(token));
    assert.deepEqual(verify.stats(), { verified: 1, cacheHits: 1, cached: 1 });

    clock.advance(60_000); // exactly exp: the cache lets go, jose still accepts within the tolerance
    assert.equal((await verify(bearer(token)))?.kind, "user");
    assert.equal(verify.stats().verified, 2);
    await verify(bearer(token)); // inside the tolerance window nothing is cached
    assert.equal(verify.stats().verified, 3);

    clock.advance(5_000); // exp + 5 s tolerance
    await rejectsWith(verify(bearer(token)), AUTH_REASONS.TOKEN_EXPIRED, token);
  });

  it("refuses a token cached a moment before its exp once the clock passes exp + tolerance", async () => {
    const token = await sign.access({ ttlSeconds: 60 });
    clock.advance(59_000);
    await verify(bearer(token));
    assert.equal(verify.stats().cached, 1);
    clock.advance(7_000);
    await rejectsWith(verify(bearer(token)), AUTH_REASONS.TOKEN_EXPIRED, token);
    assert.equal(verify.stats().cached, 0);
  });

  it("refuses a tampered payload and a tampered signature", async () => {
    const token = await sign.access({ roles: ["CUSTOMER"] });
    const [header, payload, signature] = token.split(".") as [string, string, string];
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload))) as Record<string, unknown>;
    const forged = base64url.encode(JSON.stringify({ ...claims, roles: ["ADMIN"] }));
    await rejectsWith(verify(bearer(`${header}.${forged}.${signature}`)), AUTH_REASONS.TOKEN_INVALID);
    // The first character: the last one carries spare bits, so changing it may not change the bytes.
    const flipped = (signature[0] === "A" ? "B" : "A") + signature.slice(1);
    await rejectsWith(verify(bearer(`${header}.${payload}.${flipped}`)), AUTH_REASONS.TOKEN_INVALID);
    await rejectsWith(verify(bearer(`${header}.${payload}.`)), AUTH_REASONS.TOKEN_INVALID);
  });

  it("names a wrong audience and a wrong issuer", async () => {
    const wrongAud = await sign.access({ audience: "someone-else" });
    await rejectsWith(verify(bearer(wrongAud)), AUTH_REASONS.TOKEN_WRONG_AUDIENCE, wrongAud);
    const wrongIss = await sign.access({ issuer: "https://evil.example" });
    await rejectsWith(verify(bearer(wrongIss)), AUTH_REASONS.TOKEN_WRONG_ISSUER, wrongIss);
  });

  describe("claims off the contract", () => {
    const valid = { iss: ISSUER, aud: AUDIENCE, sub: "u-1", jti: "j-1", token_use: "access", roles: ["CUSTOMER"] };
    async function raw(
      claims: Record<string, unknown>,
      opts: { exp?: boolean; alg?: string; jwk?: JWK } = {},
    ): Promise<string> {
      const now = Math.floor(clock.now() / 1000);
      const jwt = new SignJWT({ ...claims })
        .setProtectedHeader({ alg: opts.alg ?? "EdDSA", kid: "k1" })
        .setIssuedAt(now);
      if (opts.exp !== false) jwt.setExpirationTime(now + 600);
      return jwt.sign(await importJWK(opts.jwk ?? key.privateJwk, opts.alg ?? "EdDSA"));
    }

    it("accepts the hand-built baseline (so the cases below fail for their one difference)", async () => {
      assert.equal((await verify(bearer(await raw(valid))))?.kind, "user");
    });

    for (const [name, claims] of [
      ["a refresh token_use", { ...valid, token_use: "refresh" }],
      ["no token_use", { ...valid, token_use: undefined }],
      ["roles that are not a list of strings", { ...valid, roles: "ADMIN" }],
      ["a user token with a service subject", { ...valid, sub: "service:ticket" }],
      [
        "a service token whose sub does not match svc",
        { ...valid, token_use: "service", sub: "service:payment", svc: "ticket" },
      ],
      ["a service token without svc", { ...valid, token_use: "service", sub: "service:ticket" }],
      ["no jti", { ...valid, jti: undefined }],
    ] as const) {
      it(`refuses ${name}`, async () => {
        await rejectsWith(verify(bearer(await raw(claims))), AUTH_REASONS.TOKEN_INVALID);
      });
    }

    it("refuses a token without exp (it could never leave the cache)", async () => {
      await rejectsWith(verify(bearer(await raw(valid, { exp: false }))), AUTH_REASONS.TOKEN_INVALID);
    });

    it("refuses an HMAC token, whatever its claims", async () => {
      const secret = { kty: "oct", k: base64url.encode(new Uint8Array(32).fill(7)) };
      await rejectsWith(verify(bearer(await raw(valid, { alg: "HS256", jwk: secret }))), AUTH_REASONS.TOKEN_INVALID);
    });

    it("drops role names it does not know instead of refusing the token", async () => {
      assert.deepEqual(await verify(bearer(await raw({ ...valid, roles: ["CUSTOMER", "SUPERUSER"] }))), {
        kind: "user",
        subject: "u-1",
        roles: ["CUSTOMER"],
      });
    });
  });

  describe("cache", () => {
    it("checks the signature of a token once, however often it is presented", async () => {
      const token = await sign.access();
      for (let i = 0; i < 1_000; i++) await verify(bearer(token));
      assert.equal(verify.stats().verified, 1);
      assert.equal(verify.stats().cacheHits, 999);
    });

    it("shares one verification among concurrent requests with the same new token", async () => {
      const token = await sign.access();
      const principals = await Promise.all(Array.from({ length: 1_000 }, () => verify(bearer(token))));
      assert.ok(principals.every((p) => p === principals[0]));
      assert.equal(verify.stats().verified, 1);
    });

    it("never holds more than cacheSize tokens and forgets the least recently used first", async () => {
      const small = createTokenVerifier({ jwks: jwks.url, issuer: ISSUER, audience: AUDIENCE, clock, cacheSize: 5 });
      const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => sign.access({ subject: `u-${i}` })));
      for (const t of tokens) {
        await small(bearer(t));
        assert.ok(small.stats().cached <= 5);
      }
      assert.equal(small.stats().cached, 5);
      await small(bearer(tokens[15]!)); // oldest of the five: now the most recent
      await small(bearer(tokens[0]!)); // long evicted: verified again, evicts tokens[16]
      assert.deepEqual(
        { verified: small.stats().verified, cacheHits: small.stats().cacheHits },
        { verified: 21, cacheHits: 1 },
      );
      await small(bearer(tokens[15]!));
      await small(bearer(tokens[16]!));
      assert.deepEqual(
        { verified: small.stats().verified, cacheHits: small.stats().cacheHits },
        { verified: 22, cacheHits: 2 },
      );
    });

    it("does not cache failures and does not let a failure poison the cache", async () => {
      const token = await sign.access({ audience: "other" });
      await rejectsWith(verify(bearer(token)), AUTH_REASONS.TOKEN_WRONG_AUDIENCE);
      await rejectsWith(verify(bearer(token)), AUTH_REASONS.TOKEN_WRONG_AUDIENCE);
      assert.deepEqual(verify.stats(), { verified: 2, cacheHits: 0, cached: 0 });
    });

    it("can be turned off", async () => {
      const uncached = createTokenVerifier({ jwks: jwks.url, issuer: ISSUER, audience: AUDIENCE, clock, cacheSize: 0 });
      const token = await sign.access();
      await uncached(bearer(token));
      await uncached(bearer(token));
      assert.deepEqual(uncached.stats(), { verified: 2, cacheHits: 0, cached: 0 });
    });
  });
});
