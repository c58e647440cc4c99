import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AuthService } from "../../gen/boxoffice/auth/v1/auth_service_pb.js";
import { BadRequestSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { infraNames } from "../../platform/config/names.js";
import type { PasswordHasher } from "../../services/auth/hashing.js";
import { invalid, reason, rejects } from "../support/assert.js";
import { rawConnection } from "../support/infra.js";
import { startTestProcess } from "../support/process.js";

type Proc = Awaited<ReturnType<typeof startTestProcess>>;

/** Call options as from client `address` behind the ingress (one trusted x-forwarded-for hop). */
const from = (address: string) => ({ headers: { "x-forwarded-for": address } });
let addresses = 0;
/** A client address no other call used. */
const fresh = () => from(`198.51.100.${++addresses}`);
const fullWidth = (s: string) => s.replace(/[!-~]/g, (c) => String.fromCodePoint(c.codePointAt(0)! + 0xfee0));
const retryInfo = (e: ConnectError) => e.findDetails(RetryInfoSchema)[0]?.retryDelay;

/**
 * What an attacker and a bad day try against auth (issue 10), through the one port with small
 * limits: other spellings of a locked-out account, unthrottled registration, and a burst of
 * password hashes starving logins.
 */
describe("auth under abuse: canonical emails, register throttling, bounded hashing (real MariaDB, Redis)", function () {
  this.timeout(60_000);
  let proc: Proc;
  let auth: Client<typeof AuthService>;

  before(async () => {
    proc = await startTestProcess({
      echo: false,
      env: {
        BOXOFFICE_TRUSTED_PROXY_HOPS: "1",
        BOXOFFICE_AUTH_LOGIN_MAX_PER_EMAIL: "3",
        BOXOFFICE_AUTH_LOGIN_MAX_PER_ADDRESS: "1000",
        BOXOFFICE_AUTH_REGISTER_MAX_PER_EMAIL: "2",
        BOXOFFICE_AUTH_REGISTER_MAX_PER_ADDRESS: "3",
        BOXOFFICE_AUTH_HASH_CONCURRENCY: "1",
        BOXOFFICE_AUTH_HASH_QUEUE: "2",
      },
    });
    auth = createClient(AuthService, createConnectTransport({ baseUrl: proc.baseUrl, httpVersion: "1.1" }));
  });
  after(() => proc?.stop());

  const register = (email: string, password: string, opts = fresh()) =>
    auth.register({ requestId: randomUUID(), email, password, displayName: "Bob" }, opts);

  it("other spellings of a locked-out account get no tokens: upper-case and full-width share its bucket, zero-width is refused, accented is another address", async () => {
    const local = `bob-${randomUUID().slice(0, 8)}`;
    const email = `${local}@example.com`;
    const password = `pw-${randomUUID()}`;
    await register(email, password);
    for (let i = 0; i < 3; i++)
      await rejects(auth.login({ email, password: "wrong-password-123" }, fresh()), Code.Unauthenticated, "wrong");
    const locked = await rejects(auth.login({ email, password }, fresh()), Code.ResourceExhausted, "locked out");
    assert.equal(reason(locked), "LOGIN_THROTTLED");

    for (const [what, spelling] of [
      ["upper-case", email.toUpperCase()],
      ["mixed case with spaces", `  ${local.toUpperCase()}@Example.Com `],
      ["full-width", fullWidth(email)],
      ["full-width upper-case", fullWidth(email.toUpperCase())],
    ] as const) {
      const e = await rejects(auth.login({ email: spelling, password }, fresh()), Code.ResourceExhausted, what);
      assert.equal(reason(e), "LOGIN_THROTTLED", what);
    }
    for (const zw of ["\u200B", "\u200D", "\u2060", "\uFEFF", "\u00AD"]) {
      const spelling = `${local.slice(0, 2)}${zw}${local.slice(2)}@example.com`;
      const e = await invalid(
        auth.login({ email: spelling, password }, fresh()),
        "email",
        `U+${zw.codePointAt(0)!.toString(16)}`,
      );
      assert.deepEqual(
        e.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.reason),
        ["INVISIBLE_CHARACTERS"],
      );
    }
    const accented = `b\u00F3${local.slice(2)}@example.com`; // bób-…: a different mailbox, no such account
    const e = await rejects(auth.login({ email: accented, password }, fresh()), Code.Unauthenticated, "accented");
    assert.equal(reason(e), "INVALID_CREDENTIALS");

    // Under the column's binary collation the accented spelling finds no row (utf8mb4_unicode_ci found bob's).
    const conn = await rawConnection(infraNames(proc.prefix).database("auth"));
    try {
      const [rows] = await conn.query("SELECT email FROM users WHERE email IN (?, ?, ?)", [
        accented,
        email.toUpperCase(),
        email,
      ]);
      assert.deepEqual(
        (rows as Array<{ email: string }>).map((r) => r.email),
        [email],
      );
    } finally {
      await conn.end();
    }
  });

  it("Register is throttled per client address and per email (any spelling), with RetryInfo", async () => {
    const address = from("203.0.113.50");
    for (let i = 0; i < 3; i++)
      await register(`many-${i}-${randomUUID().slice(0, 6)}@example.com`, `pw-${randomUUID()}`, address);
    const throttled = await rejects(
      register(`many-last-${randomUUID().slice(0, 6)}@example.com`, `pw-${randomUUID()}`, address),
      Code.ResourceExhausted,
      "a fourth registration from one address",
    );
    assert.equal(reason(throttled), "REGISTER_THROTTLED");
    assert.ok(retryInfo(throttled), "RetryInfo");
    await register(`elsewhere-${randomUUID().slice(0, 6)}@example.com`, `pw-${randomUUID()}`, from("203.0.113.51"));

    const email = `dup-${randomUUID().slice(0, 6)}@example.com`;
    await register(email, `pw-${randomUUID()}`);
    await rejects(
      register(email.toUpperCase(), `pw-${randomUUID()}`),
      Code.AlreadyExists,
      "the same address, upper-case",
    );
    // (Register's contract accepts only ASCII addresses; Login takes any spelling: see above.)
    const perEmail = await rejects(
      register(email.replace("dup", "DUP").replace("example.com", "Example.COM"), `pw-${randomUUID()}`),
      Code.ResourceExhausted,
      "a third registration of one email, from a third address",
    );
    assert.equal(reason(perEmail), "REGISTER_THROTTLED");
  });

  it("a burst of registrations cannot starve logins: a full hashing queue answers RESOURCE_EXHAUSTED with RetryInfo at once", async () => {
    const email = `steady-${randomUUID().slice(0, 6)}@example.com`;
    const password = `pw-${randomUUID()}`;
    await register(email, password);
    const hasher = proc.services.get("auth")!.internals!.hasher as PasswordHasher;
    const before = hasher.rejected;
    const tag = randomUUID().slice(0, 6);
    const burst = Array.from({ length: 30 }, (_, i) =>
      register(`burst-${tag}-${i}@example.com`, `pw-${randomUUID()}`).then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      ),
    );
    const login = await auth.login({ email, password }, fresh());
    assert.ok(login.tokens?.accessToken, "a login during the burst is answered");
    const outcomes = await Promise.all(burst);
    const refused = outcomes.filter((o) => o !== undefined);
    assert.ok(refused.length > 0, "some registrations were refused rather than queued without limit");
    assert.ok(outcomes.length - refused.length >= 3, "the running and queued ones completed");
    for (const e of refused) {
      assert.equal(e.code, Code.ResourceExhausted, e.message);
      assert.equal(reason(e), "PASSWORD_HASHING_BUSY");
      assert.ok(retryInfo(e), "RetryInfo");
    }
    assert.equal(hasher.rejected - before, refused.length);
    // Refused before the transaction: exactly the accepted ones have an account.
    const conn = await rawConnection(infraNames(proc.prefix).database("auth"));
    try {
      const [rows] = await conn.query("SELECT COUNT(*) AS n FROM users WHERE email LIKE ?", [`burst-${tag}-%`]);
      assert.equal(Number((rows as Array<{ n: number }>)[0]?.n), outcomes.length - refused.length);
    } finally {
      await conn.end();
    }
  });
});
