import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { jetstreamManager } from "@nats-io/jetstream";
import { pino } from "pino";
import { modules } from "../../cmd/modules.js";
import { AuthInternalService } from "../../gen/boxoffice/auth/v1/auth_internal_service_pb.js";
import { Role } from "../../gen/boxoffice/auth/v1/auth_pb.js";
import { AuthService } from "../../gen/boxoffice/auth/v1/auth_service_pb.js";
import { EventService } from "../../gen/boxoffice/event/v1/event_service_pb.js";
import { BadRequestSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { type EmbeddedServer, startRedis } from "../../harness/index.js";
import type { ServiceModule } from "../../platform/app/index.js";
import { generateSigningKey, ServiceIdentity, type SigningKey, signAccessToken } from "../../platform/auth/index.js";
import { connectNats } from "../../platform/bus/nats.js";
import { ManualClock, sleep } from "../../platform/clock/index.js";
import { infraNames } from "../../platform/config/names.js";
import type { DummyHash } from "../../services/auth/domain/credentials.js";
import { failure, reason } from "../support/assert.js";
import { grpcJsUnary } from "../support/grpc-js.js";
import { infraUrls, rawConnection } from "../support/infra.js";
import { startTestProcess } from "../support/process.js";

type Proc = Awaited<ReturnType<typeof startTestProcess>>;

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

describe("auth service through the one port (real MariaDB, Redis, NATS)", function () {
  this.timeout(60_000);
  const clock = new ManualClock(Date.now());
  const logLines: string[] = [];
  const secretsSeen = new Set<string>();
  const adminPassword = `admin-${randomUUID()}`;
  const secrets = { ticket: `ticket-secret-${randomUUID()}`, event: `event-secret-${randomUUID()}` };
  let key: SigningKey;
  let proc: Proc;
  let auth: Client<typeof AuthService>;
  let internal: Client<typeof AuthInternalService>;
  const password = (tag: string) => {
    const p = `pw-${tag}-${randomUUID()}`;
    secretsSeen.add(p);
    return p;
  };
  const email = (tag: string) => `${tag}-${randomUUID().slice(0, 8)}@Example.COM`;
  const keep = <T extends { refreshToken?: string; accessToken?: string } | undefined>(t: T) => {
    if (t?.refreshToken) secretsSeen.add(t.refreshToken);
    if (t?.accessToken) secretsSeen.add(t.accessToken);
    return t!;
  };

  before(async () => {
    key = await generateSigningKey("test-key-1");
    secretsSeen.add(adminPassword);
    proc = await startTestProcess({
      echo: false,
      clock,
      logger: pino({ level: "trace" }, { write: (line: string) => void logLines.push(line) }),
      env: {
        BOXOFFICE_AUTH_SIGNING_KEYS: JSON.stringify([key.privateJwk]),
        BOXOFFICE_AUTH_REFRESH_SECRET: randomUUID() + randomUUID(),
        BOXOFFICE_SERVICE_SECRETS: `ticket=${secrets.ticket},event=${secrets.event}`,
        BOXOFFICE_AUTH_LOGIN_MAX_PER_EMAIL: "5",
        BOXOFFICE_AUTH_LOGIN_MAX_PER_ADDRESS: "40",
        // The race below registers one email 50 times at once (throttles and the hashing queue: auth-abuse.test.ts).
        BOXOFFICE_AUTH_REGISTER_MAX_PER_EMAIL: "100",
        BOXOFFICE_AUTH_REGISTER_MAX_PER_ADDRESS: "1000",
        BOXOFFICE_AUTH_HASH_QUEUE: "100",
        BOXOFFICE_TRUSTED_PROXY_HOPS: "1",
        BOXOFFICE_AUTH_REFRESH_GRACE_SECONDS: "10",
        BOXOFFICE_AUTH_BOOTSTRAP_ADMIN_EMAIL: "root@boxoffice.test",
        BOXOFFICE_AUTH_BOOTSTRAP_ADMIN_PASSWORD: adminPassword,
      },
    });
    const transport = createConnectTransport({ baseUrl: proc.baseUrl, httpVersion: "1.1" });
    auth = createClient(AuthService, transport);
    internal = createClient(AuthInternalService, transport);
  });
  after(async () => {
    await proc?.stop();
  });

  async function newUser(tag: string) {
    const e = email(tag);
    const p = password(tag);
    const { user } = await auth.register({ requestId: randomUUID(), email: e, password: p, displayName: tag });
    const { tokens } = await auth.login({ email: e, password: p });
    return { user: user!, email: e, password: p, tokens: keep(tokens) };
  }

  it("register → login → GetMe → refresh → logout over Connect JSON (HTTP/1.1), with UserRegistered published", async () => {
    const e = email("flow");
    const p = password("flow");
    const { user } = await auth.register({ requestId: randomUUID(), email: e, password: p, displayName: "Flo" });
    assert.equal(user?.email, e.toLowerCase());
    assert.deepEqual(user?.roles, [Role.CUSTOMER]);
    const login = await auth.login({ email: e.toUpperCase(), password: p });
    const tokens = keep(login.tokens);
    assert.equal(tokens.tokenType, "Bearer");
    const me = await auth.getMe({}, bearer(tokens.accessToken));
    assert.equal(me.user?.id, user?.id);
    const refreshed = keep((await auth.refresh({ refreshToken: tokens.refreshToken })).tokens);
    assert.notEqual(refreshed.refreshToken, tokens.refreshToken);
    assert.equal((await auth.getMe({}, bearer(refreshed.accessToken))).user?.id, user?.id);
    await auth.logout({ requestId: randomUUID(), refreshToken: refreshed.refreshToken });
    assert.equal((await failure(auth.refresh({ refreshToken: refreshed.refreshToken }))).code, Code.Unauthenticated);

    const nc = await connectNats(infraUrls().natsUrl, "auth-test");
    try {
      const jsm = await jetstreamManager(nc);
      const names = infraNames(proc.prefix);
      const deadline = Date.now() + 5_000;
      let found = false;
      while (!found && Date.now() < deadline) {
        const m = await jsm.streams
          .getMessage(names.stream("auth"), { last_by_subj: names.subject("auth", "user_registered") })
          .catch(() => null);
        found = m?.header.get("Boxoffice-Aggregate-Id") === user?.id;
        if (!found) await sleep(50);
      }
      assert.ok(found, "UserRegistered for the new user is in the auth stream");
    } finally {
      await nc.close();
    }
  });

  it("the same flow from a plain @grpc/grpc-js client", async () => {
    const client = new grpc.Client(`127.0.0.1:${proc.server.port}`, grpc.credentials.createInsecure());
    try {
      const e = email("grpcjs");
      const p = password("grpcjs");
      const { user } = await grpcJsUnary(client, AuthService.method.register, {
        requestId: randomUUID(),
        email: e,
        password: p,
        displayName: "G",
      });
      const { tokens } = await grpcJsUnary(client, AuthService.method.login, { email: e, password: p });
      keep(tokens);
      const me = await grpcJsUnary(
        client,
        AuthService.method.getMe,
        {},
        { authorization: `Bearer ${tokens!.accessToken}` },
      );
      assert.equal(me.user?.id, user?.id);
      const again = await grpcJsUnary(client, AuthService.method.refresh, { refreshToken: tokens!.refreshToken });
      keep(again.tokens);
      await grpcJsUnary(client, AuthService.method.logout, {
        requestId: randomUUID(),
        refreshToken: again.tokens!.refreshToken,
      });
      await assert.rejects(
        grpcJsUnary(client, AuthService.method.getMe, {}),
        (err: grpc.ServiceError) => err.code === grpc.status.UNAUTHENTICATED,
      );
    } finally {
      client.close();
    }
  });

  it("a duplicate email is ALREADY_EXISTS, and 50 concurrent registrations of one email make one user", async () => {
    const e = email("race");
    const p = password("race");
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () =>
        auth.register({ requestId: randomUUID(), email: e, password: p, displayName: "Racer" }),
      ),
    );
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
    for (const r of results)
      if (r.status === "rejected") assert.equal(ConnectError.from(r.reason).code, Code.AlreadyExists);
    const conn = await rawConnection(infraNames(proc.prefix).database("auth"));
    try {
      const [rows] = await conn.query("SELECT COUNT(*) AS n FROM users WHERE email = ?", [e.toLowerCase()]);
      assert.equal(Number((rows as Array<{ n: number }>)[0]?.n), 1);
    } finally {
      await conn.end();
    }
  });

  it("a weak password is INVALID_ARGUMENT with a field violation, and nothing is written", async () => {
    const e = email("weak");
    const err = await failure(
      auth.register({ requestId: randomUUID(), email: e, password: "short", displayName: "W" }),
    );
    assert.equal(err.code, Code.InvalidArgument);
    const [bad] = err.findDetails(BadRequestSchema);
    assert.deepEqual(
      bad?.fieldViolations.map((v) => [v.field, v.reason]),
      [["password", "string.min_len"]],
    );
    assert.equal((await failure(auth.login({ email: e, password: "short" }))).code, Code.Unauthenticated);
  });

  it("a refresh retried inside the grace window gets the same pair; reuse after it revokes the family", async () => {
    const { tokens } = await newUser("rotate");
    const first = keep((await auth.refresh({ refreshToken: tokens.refreshToken })).tokens);
    const retry = keep((await auth.refresh({ refreshToken: tokens.refreshToken })).tokens);
    assert.equal(retry.refreshToken, first.refreshToken);
    assert.equal(retry.accessToken, first.accessToken);
    clock.advance(11_000);
    const reused = await failure(auth.refresh({ refreshToken: tokens.refreshToken }));
    assert.equal(reused.code, Code.Unauthenticated);
    assert.equal(reason(reused), "REFRESH_TOKEN_REUSED");
    const family = await failure(auth.refresh({ refreshToken: first.refreshToken }));
    assert.equal(reason(family), "REFRESH_TOKEN_REVOKED", "the successor died with its family");
  });

  it("expired, tampered, wrong-audience, wrong-issuer and unknown-kid tokens are UNAUTHENTICATED", async () => {
    const { user } = await newUser("tokens");
    const sign = (o: {
      key?: SigningKey["privateJwk"];
      audience?: string;
      issuer?: string;
      ageMs?: number;
      ttl?: number;
    }) =>
      signAccessToken({
        key: o.key ?? key.privateJwk,
        issuer: o.issuer ?? "boxoffice-auth",
        audience: o.audience ?? "boxoffice",
        ttlSeconds: o.ttl ?? 900,
        clock: { now: () => clock.now() - (o.ageMs ?? 0), date: () => new Date(clock.now() - (o.ageMs ?? 0)) },
        subject: user.id,
        roles: ["CUSTOMER"],
      });
    const good = await sign({});
    assert.equal((await auth.getMe({}, bearer(good))).user?.id, user.id, "a well-formed token works");
    const [h, payload, sig] = good.split(".");
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, "base64url").toString()), roles: ["ADMIN"] })).toString("base64url")}.${sig}`;
    const other = await generateSigningKey("not-published");
    const cases: Array<[string, string]> = [
      ["expired", await sign({ ageMs: 3600_000, ttl: 60 })],
      ["tampered", tampered],
      ["wrong audience", await sign({ audience: "someone-else" })],
      ["wrong issuer", await sign({ issuer: "evil-issuer" })],
      ["unknown kid", await sign({ key: other.privateJwk })],
      ["garbage", "not-a-jwt"],
    ];
    for (const [name, token] of cases) {
      secretsSeen.add(token);
      const err = await failure(auth.getMe({}, bearer(token)));
      assert.equal(err.code, Code.Unauthenticated, name);
    }
  });

  it("roles: a CUSTOMER is PERMISSION_DENIED on ADMIN and ORGANIZER RPCs until an ADMIN grants the role", async () => {
    const customer = await newUser("customer");
    const grant = await failure(
      auth.grantRole(
        { requestId: randomUUID(), userId: customer.user.id, role: Role.ADMIN },
        bearer(customer.tokens.accessToken),
      ),
    );
    assert.equal(grant.code, Code.PermissionDenied);
    const events = createClient(EventService, createConnectTransport({ baseUrl: proc.baseUrl, httpVersion: "1.1" }));
    const create = () => events.createEvent({ requestId: randomUUID() }, bearer(customer.tokens.accessToken));
    assert.equal((await failure(create())).code, Code.PermissionDenied);

    const admin = keep((await auth.login({ email: "root@boxoffice.test", password: adminPassword })).tokens);
    const granted = await auth.grantRole(
      { requestId: randomUUID(), userId: customer.user.id, role: Role.ORGANIZER },
      bearer(admin.accessToken),
    );
    assert.deepEqual(granted.user?.roles, [Role.CUSTOMER, Role.ORGANIZER]);
    const relogged = keep((await auth.login({ email: customer.email, password: customer.password })).tokens);
    const now = await failure(events.createEvent({ requestId: randomUUID() }, bearer(relogged.accessToken)));
    assert.equal(now.code, Code.InvalidArgument, "past the access check: the request itself is incomplete");
  });

  it("GetUser is internal: end users and services not on its list are PERMISSION_DENIED", async () => {
    const { user, tokens } = await newUser("internal");
    assert.equal(
      (await failure(internal.getUser({ userId: user.id }, bearer(tokens.accessToken)))).code,
      Code.PermissionDenied,
    );
    const eventToken = keep({
      accessToken: (await internal.issueServiceToken({ serviceName: "event", serviceSecret: secrets.event }))
        .accessToken,
    });
    assert.equal(
      (await failure(internal.getUser({ userId: user.id }, bearer(eventToken.accessToken)))).code,
      Code.PermissionDenied,
    );
    const ticketToken = keep({
      accessToken: (await internal.issueServiceToken({ serviceName: "ticket", serviceSecret: secrets.ticket }))
        .accessToken,
    });
    assert.equal(
      (await internal.getUser({ userId: user.id }, bearer(ticketToken.accessToken))).user?.email,
      user.email,
    );
    const wrong = await failure(
      internal.issueServiceToken({ serviceName: "ticket", serviceSecret: "not-the-secret-at-all" }),
    );
    assert.equal(wrong.code, Code.Unauthenticated);
  });

  it("a service calls internal RPCs as itself: one service token, reused, renewed before it expires", async () => {
    const { user } = await newUser("identity");
    const identity = new ServiceIdentity({ service: "ticket", secret: secrets.ticket, authUrl: proc.baseUrl, clock });
    const asTicket = createClient(
      AuthInternalService,
      createConnectTransport({ baseUrl: proc.baseUrl, httpVersion: "2", interceptors: [identity.interceptor()] }),
    );
    const answers = await Promise.all(Array.from({ length: 5 }, () => asTicket.getUser({ userId: user.id })));
    assert.ok(answers.every((a) => a.user?.id === user.id));
    assert.equal(identity.issued, 1, "one token for concurrent calls");
    clock.advance(9.5 * 60_000); // within a minute of the 10-minute expiry
    await asTicket.getUser({ userId: user.id });
    assert.equal(identity.issued, 2, "renewed before expiry");
    const impostor = new ServiceIdentity({
      service: "ticket",
      secret: "a-wrong-secret-0123456789",
      authUrl: proc.baseUrl,
      clock,
    });
    const asImpostor = createClient(
      AuthInternalService,
      createConnectTransport({ baseUrl: proc.baseUrl, httpVersion: "2", interceptors: [impostor.interceptor()] }),
    );
    assert.equal((await failure(asImpostor.getUser({ userId: user.id }))).code, Code.Unauthenticated);
  });

  it("throttles logins per email after the configured attempts, with RetryInfo", async () => {
    const { email: e, password: p } = await newUser("throttle"); // one attempt used by newUser
    for (let i = 0; i < 4; i++)
      assert.equal(
        (await failure(auth.login({ email: e, password: "wrong-password-123" }))).code,
        Code.Unauthenticated,
      );
    const throttled = await failure(auth.login({ email: e, password: p }));
    assert.equal(throttled.code, Code.ResourceExhausted);
    assert.equal(reason(throttled), "LOGIN_THROTTLED");
    assert.ok(throttled.findDetails(RetryInfoSchema).length === 1);
    clock.advance(901_000);
    keep((await auth.login({ email: e, password: p })).tokens);
  });

  it("throttles logins per client address (the ingress's x-forwarded-for hop), whatever the emails", async () => {
    const from = (address: string) => ({ headers: { "x-forwarded-for": `198.51.100.1, ${address}` } });
    for (let i = 0; i < 40; i++) {
      assert.equal(
        (await failure(auth.login({ email: email(`spray${i}`), password: "wrong-password-123" }, from("203.0.113.7"))))
          .code,
        Code.Unauthenticated,
      );
    }
    const throttled = await failure(
      auth.login({ email: email("spray-last"), password: "wrong-password-123" }, from("203.0.113.7")),
    );
    assert.equal(throttled.code, Code.ResourceExhausted);
    assert.equal(reason(throttled), "LOGIN_THROTTLED");
    // The spoofable left part of the header does not matter; another real client is not affected.
    assert.equal(
      (await failure(auth.login({ email: email("other"), password: "wrong-password-123" }, from("203.0.113.8")))).code,
      Code.Unauthenticated,
    );
  });

  it("refresh tokens expire, and the JWKS is served over plain HTTP/1.1 on the service port", async () => {
    const { tokens } = await newUser("expiry");
    clock.advance(31 * 86_400_000);
    const expired = await failure(auth.refresh({ refreshToken: tokens.refreshToken }));
    assert.equal(reason(expired), "REFRESH_TOKEN_EXPIRED");
    const res = await fetch(`${proc.baseUrl}/.well-known/jwks.json`);
    assert.equal(res.status, 200);
    const jwks = (await res.json()) as { keys: Array<{ kid: string; d?: string }> };
    assert.deepEqual(
      jwks.keys.map((k) => k.kid),
      ["test-key-1"],
    );
    assert.ok(
      jwks.keys.every((k) => k.d === undefined),
      "no private part",
    );
  });

  it("an unknown user's login costs one password hash, like a wrong password", async () => {
    const dummy = proc.services.get("auth")?.internals?.dummyHash as DummyHash;
    const before = dummy.runs;
    const err = await failure(auth.login({ email: email("nobody"), password: password("nobody") }));
    assert.equal(err.code, Code.Unauthenticated);
    assert.equal(reason(err), "INVALID_CREDENTIALS");
    assert.equal(dummy.runs, before + 1);
  });

  it("logged nothing secret at trace level: no password, hash, refresh or access token", () => {
    assert.ok(logLines.length > 50, `the suite logged (${logLines.length} lines)`);
    const all = logLines.join("");
    assert.doesNotMatch(all, /\$argon2/);
    assert.doesNotMatch(all, /eyJ/);
    for (const s of secretsSeen) assert.ok(!all.includes(s), "a password or token reached the logs");
  });
});

describe("service-to-service calls through ctx.client()", function () {
  this.timeout(60_000);
  it("a service module's client calls another service's internal RPC with its own identity", async () => {
    const secret = `notification-secret-${randomUUID()}`;
    // A stand-in notification module that only keeps the client its context gives it.
    const probe: ServiceModule = {
      name: "notification",
      migrations: modules.notification.migrations,
      contracts: [],
      create: (ctx) => ({ services: [], internals: { auth: ctx.client(AuthInternalService, "auth") } }),
    };
    const proc = await startTestProcess({
      echo: false,
      modules: [modules.auth, probe],
      env: { BOXOFFICE_SERVICE_SECRETS: `notification=${secret}` },
    });
    try {
      const auth = createClient(AuthService, createConnectTransport({ baseUrl: proc.baseUrl, httpVersion: "1.1" }));
      const e = `probe-${randomUUID().slice(0, 8)}@example.com`;
      const { user } = await auth.register({
        requestId: randomUUID(),
        email: e,
        password: `pw-${randomUUID()}`,
        displayName: "P",
      });
      const client = proc.services.get("notification")!.internals!.auth as Client<typeof AuthInternalService>;
      assert.equal((await client.getUser({ userId: user!.id })).user?.email, e);
    } finally {
      await proc.stop();
    }
  });
});

describe("auth with Redis down (own Redis instance)", function () {
  this.timeout(60_000);
  let redis: EmbeddedServer;
  let proc: Proc;
  const dir = mkdtempSync(join(tmpdir(), "boxoffice-auth-redis-"));
  before(async () => {
    redis = await startRedis({ dataDir: dir });
    proc = await startTestProcess({
      echo: false,
      env: { BOXOFFICE_REDIS_URL: redis.url, BOXOFFICE_AUTH_LOGIN_MAX_PER_EMAIL: "2" },
    });
  });
  after(async () => {
    await proc?.stop();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("the login throttle fails open: the password check still runs and logins succeed", async () => {
    const auth = createClient(AuthService, createConnectTransport({ baseUrl: proc.baseUrl, httpVersion: "1.1" }));
    const e = `down-${randomUUID().slice(0, 8)}@example.com`;
    const p = `pw-${randomUUID()}`;
    await auth.register({ requestId: randomUUID(), email: e, password: p, displayName: "D" });
    await redis.stop();
    const started = Date.now();
    for (let i = 0; i < 4; i++) {
      assert.equal(
        (await failure(auth.login({ email: e, password: "wrong-password-123" }))).code,
        Code.Unauthenticated,
        "still checked",
      );
    }
    assert.ok(
      (await auth.login({ email: e, password: p })).tokens?.accessToken,
      "past the (absent) limit of 2: the throttle let it through",
    );
    assert.ok(Date.now() - started < 5_000, "no waiting on the dead Redis");
  });
});
