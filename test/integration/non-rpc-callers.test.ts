import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { type Client, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { modules } from "../../cmd/modules.js";
import {
  AuthService,
  type RegisterRequest,
  RegisterRequestSchema,
} from "../../gen/boxoffice/auth/v1/auth_service_pb.js";
import { ManualClock } from "../../platform/clock/index.js";
import { DomainError } from "../../platform/errors/index.js";
import type { PeriodicJob } from "../../platform/jobs/index.js";
import { servicePrincipal } from "../../platform/principal/index.js";
import type { AuthDeps } from "../../services/auth/deps.js";
import { register } from "../../services/auth/use-cases/register.js";
import { failure, reason } from "../support/assert.js";
import { startTestProcess } from "../support/process.js";

/**
 * Use-cases without the RPC layer: the same write use-case called over Connect and by a
 * consumer-style caller (a service principal, no HandlerContext) keeps the same AIP-155 promise —
 * one effect per (caller, command, request_id), the first result replayed, a reused id with another
 * request refused — and a sweeper runs a use-case on the process's periodic-job helper.
 */
describe("use-cases called without the RPC layer (auth on real MariaDB, NATS)", function () {
  this.timeout(60_000);
  const clock = new ManualClock(Date.now());
  let proc: Awaited<ReturnType<typeof startTestProcess>>;
  let auth: Client<typeof AuthService>;
  let deps: AuthDeps;

  before(async () => {
    proc = await startTestProcess({ modules: [modules.auth], echo: false, clock });
    auth = createClient(AuthService, createConnectTransport({ baseUrl: proc.baseUrl, httpVersion: "1.1" }));
    deps = proc.services.get("auth")!.internals!.deps as AuthDeps;
  });
  after(async () => {
    await proc?.stop();
  });

  const count = async (sql: string, ...params: unknown[]) => {
    const [rows] = await deps.db.pool.query(sql, params);
    return Number((rows as Array<{ n: number }>)[0]?.n);
  };
  const newRequest = (tag: string): RegisterRequest =>
    create(RegisterRequestSchema, {
      requestId: randomUUID(),
      email: `${tag}-${randomUUID().slice(0, 8)}@example.com`,
      password: `pw-${randomUUID()}`,
      displayName: tag,
    });
  /** One effect = one user row and one UserRegistered in the outbox. */
  const effects = async (email: string) => [
    await count("SELECT COUNT(*) AS n FROM users WHERE email = ?", email),
    await count(
      "SELECT COUNT(*) AS n FROM outbox_events WHERE event_type LIKE ? AND envelope LIKE ?",
      "%UserRegistered",
      `%${email}%`,
    ),
  ];

  it("through the RPC: the same request_id twice → one effect, the first answer replayed", async () => {
    const req = newRequest("rpc");
    const first = await auth.register(req);
    const again = await auth.register(req);
    assert.deepEqual(again.user, first.user);
    assert.deepEqual(await effects(req.email), [1, 1]);
    const reused = await failure(auth.register({ ...req, displayName: "someone else" }));
    assert.equal(reason(reused), "REQUEST_ID_REUSED");
  });

  it("from a consumer-style caller (service principal): the same behaviour, through the same use-case", async () => {
    const consumer = servicePrincipal("notification");
    const req = newRequest("consumer");
    const first = await deps.commands.run(register, deps, consumer, req);
    const again = await deps.commands.run(register, deps, consumer, req);
    assert.deepEqual([first.replayed, again.replayed], [false, true]);
    assert.deepEqual(again.result, first.result, "the first result, replayed");
    assert.deepEqual(await effects(req.email), [1, 1], "one effect");
    await assert.rejects(
      register(deps, consumer, create(RegisterRequestSchema, { ...req, displayName: "someone else" })),
      (e: unknown) => e instanceof DomainError && e.reason === "REQUEST_ID_REUSED",
    );
    assert.equal(
      await count(
        "SELECT COUNT(*) AS n FROM idempotency_records WHERE method = 'auth.Register' AND request_id = ?",
        req.requestId,
      ),
      1,
      "one record, scoped to the service caller",
    );
  });

  it("records are scoped by caller: the RPC's request_id reused by a service is its own request", async () => {
    const req = newRequest("scoped");
    await auth.register(req); // anonymous caller over the RPC
    await assert.rejects(
      register(deps, servicePrincipal("notification"), req),
      (e: unknown) => e instanceof DomainError && e.reason === "EMAIL_TAKEN",
      "not a replay of the anonymous caller's record: the rule (unique email) answers",
    );
    assert.deepEqual(await effects(req.email), [1, 1]);
  });

  it("the refresh-token sweeper (ctx.every, one replica at a time) deletes only long-expired tokens", async () => {
    const sweeper = proc.services.get("auth")!.internals!.sweeper as PeriodicJob;
    const old = newRequest("sweep-old");
    await auth.register(old);
    await auth.login({ email: old.email, password: old.password });
    const tokens = (email: string) =>
      count("SELECT COUNT(*) AS n FROM refresh_tokens r JOIN users u ON u.id = r.user_id WHERE u.email = ?", email);
    assert.equal(await tokens(old.email), 1);
    clock.advance(32 * 86_400_000); // past the 30-day lifetime and the one-day retention
    const fresh = newRequest("sweep-new");
    await auth.register(fresh);
    await auth.login({ email: fresh.email, password: fresh.password });
    assert.equal(await sweeper.runNow(), true, "it ran (it held the lock)");
    assert.deepEqual([await tokens(old.email), await tokens(fresh.email)], [0, 1]);
  });
});
