import assert from "node:assert/strict";
import { createHash, randomUUID } from "node:crypto";
import { createRegistry, type DescMessage, isMessage, type MessageShape } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { type Client, Code, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { pino } from "pino";
import { AuthInternalService } from "../../gen/boxoffice/auth/v1/auth_internal_service_pb.js";
import { AuthService } from "../../gen/boxoffice/auth/v1/auth_service_pb.js";
import {
  EmailVerificationRequestedSchema,
  PasswordResetRequestedSchema,
  UserRegisteredSchema,
} from "../../gen/boxoffice/auth/v1/events_pb.js";
import { RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { decodeEnvelope, type EventEnvelope } from "../../platform/bus/events.js";
import { connectNats } from "../../platform/bus/nats.js";
import { ManualClock, sleep } from "../../platform/clock/index.js";
import { infraNames } from "../../platform/config/names.js";
import { reason, rejects } from "../support/assert.js";
import { infraUrls, rawConnection } from "../support/infra.js";
import { startTestProcess } from "../support/process.js";
import { bearer } from "../support/users.js";

type Proc = Awaited<ReturnType<typeof startTestProcess>>;
const registry = createRegistry(UserRegisteredSchema, PasswordResetRequestedSchema, EmailVerificationRequestedSchema);
const sha256 = (s: string) => createHash("sha256").update(s).digest();

/**
 * Account emails, auth's part (issue 14): password reset and email verification through the one
 * port, the tokens read where notification reads them (the integration events on the auth stream).
 */
describe("auth account emails: password reset, email verification (real MariaDB, Redis, NATS)", function () {
  this.timeout(60_000);
  const clock = new ManualClock(Date.now());
  const logLines: string[] = [];
  const notificationSecret = `notification-${randomUUID()}`;
  const secrets = new Set<string>([notificationSecret]);
  let proc: Proc;
  let auth: Client<typeof AuthService>;
  let nc: NatsConnection;
  const seen: Array<{ envelope: EventEnvelope; payload: MessageShape<DescMessage> }> = [];
  let next = 1;

  before(async () => {
    proc = await startTestProcess({
      echo: false,
      clock,
      logger: pino({ level: "trace" }, { write: (line: string) => void logLines.push(line) }),
      env: {
        BOXOFFICE_TRUSTED_PROXY_HOPS: "1",
        BOXOFFICE_AUTH_ACCOUNT_EMAIL_MAX_PER_EMAIL: "3",
        BOXOFFICE_AUTH_ACCOUNT_EMAIL_MAX_PER_ADDRESS: "1000",
        BOXOFFICE_SERVICE_SECRETS: `notification=${notificationSecret}`,
      },
    });
    auth = createClient(AuthService, createConnectTransport({ baseUrl: proc.baseUrl, httpVersion: "1.1" }));
    nc = await connectNats(infraUrls().natsUrl, "account-emails-test");
  });
  after(async () => {
    await nc?.close();
    await proc?.stop();
  });

  /** The events of `schema` about `userId` on the auth stream, once at least `n` are there. */
  async function events<D extends DescMessage>(schema: D, userId: string, n = 1): Promise<MessageShape<D>[]> {
    const jsm = await jetstreamManager(nc);
    const stream = infraNames(proc.prefix).stream("auth");
    const deadline = Date.now() + 10_000;
    for (;;) {
      const info = await jsm.streams.info(stream);
      for (; next <= info.state.last_seq; next++) {
        const m = await jsm.streams.getMessage(stream, { seq: next }).catch(() => null);
        if (m !== null) seen.push(decodeEnvelope(m.data, registry));
      }
      const mine = seen.filter((e) => e.envelope.aggregateId === userId && isMessage(e.payload, schema));
      if (mine.length >= n) return mine.map((e) => e.payload as MessageShape<D>);
      if (Date.now() > deadline) assert.fail(`${n} ${schema.typeName} for ${userId} did not arrive`);
      await sleep(50);
    }
  }
  let addresses = 0;
  const fresh = () => ({ headers: { "x-forwarded-for": `192.0.2.${++addresses}` } });
  async function account(tag: string) {
    const email = `${tag}-${randomUUID().slice(0, 8)}@example.com`;
    const password = `pw-${tag}-${randomUUID()}`;
    secrets.add(password);
    const { user } = await auth.register({ requestId: randomUUID(), email, password, displayName: tag }, fresh());
    return { user: user!, email, password };
  }
  const requestReset = (email: string, requestId = randomUUID()) =>
    auth.requestPasswordReset({ requestId, email }, fresh());
  const reset = (resetToken: string, newPassword: string, requestId = randomUUID()) =>
    auth.resetPassword({ requestId, resetToken, newPassword }, fresh());

  it("RequestPasswordReset answers the same for an unknown email; only an account gets PasswordResetRequested, its token stored hashed", async () => {
    const { user, email } = await account("reset-ask");
    const known = await requestReset(email.toUpperCase());
    const unknown = await requestReset(`nobody-${randomUUID().slice(0, 8)}@example.com`);
    assert.deepEqual(known, unknown, "one answer for both");
    const [event] = await events(PasswordResetRequestedSchema, user.id);
    assert.equal(event!.email, email);
    assert.equal(event!.displayName, "reset-ask");
    assert.match(event!.resetToken, /^[A-Za-z0-9_-]{43}$/);
    secrets.add(event!.resetToken);
    assert.equal(timestampMs(event!.expireTime!) - timestampMs(event!.requestTime!), 30 * 60_000);
    const conn = await rawConnection(infraNames(proc.prefix).database("auth"));
    try {
      const [rows] = await conn.query("SELECT token_hash FROM account_tokens WHERE user_id = ? AND kind = ?", [
        user.id,
        "password_reset",
      ]);
      const hashes = (rows as Array<{ token_hash: Buffer }>).map((r) => r.token_hash);
      assert.deepEqual(hashes, [sha256(event!.resetToken)], "only its SHA-256");
      const [all] = await conn.query("SELECT COUNT(*) AS n FROM account_tokens WHERE kind = 'password_reset'");
      assert.equal(Number((all as Array<{ n: number }>)[0]?.n), 1, "nothing for the unknown email");
    } finally {
      await conn.end();
    }
  });

  it("ResetPassword: the token works once, signs every session out, and the new password logs in; unknown, used and expired tokens are INVALID_RESET_TOKEN", async () => {
    const { user, email, password } = await account("reset");
    const session = (await auth.login({ email, password }, fresh())).tokens!;
    secrets.add(session.refreshToken);
    await requestReset(email);
    const [event] = await events(PasswordResetRequestedSchema, user.id);
    const token = event!.resetToken;
    secrets.add(token);
    await rejects(reset(token, "short"), Code.InvalidArgument, "a password outside the policy");
    await rejects(
      reset(token, email),
      Code.InvalidArgument,
      "the account's email as password (checked once the token names the account)",
    );

    const newPassword = `pw-new-${randomUUID()}`;
    secrets.add(newPassword);
    const requestId = randomUUID();
    await reset(token, newPassword, requestId); // the refused attempts left the token usable
    await reset(token, newPassword, requestId); // a repeat of the same request replays its answer
    const reused = await rejects(reset(token, `pw-other-${randomUUID()}`), Code.FailedPrecondition, "the token again");
    assert.equal(reason(reused), "INVALID_RESET_TOKEN");
    const unknown = await rejects(reset("x".repeat(43), newPassword), Code.FailedPrecondition, "an unknown token");
    assert.equal(reason(unknown), "INVALID_RESET_TOKEN");

    assert.equal(
      (await rejects(auth.refresh({ refreshToken: session.refreshToken }), Code.Unauthenticated, "old session")).code,
      Code.Unauthenticated,
    );
    await rejects(auth.login({ email, password }, fresh()), Code.Unauthenticated, "the old password");
    assert.ok((await auth.login({ email, password: newPassword }, fresh())).tokens?.accessToken, "the new one");

    await requestReset(email);
    const [, second] = await events(PasswordResetRequestedSchema, user.id, 2);
    secrets.add(second!.resetToken);
    clock.advance(30 * 60_000 + 1_000);
    const expired = await rejects(
      reset(second!.resetToken, `pw-late-${randomUUID()}`),
      Code.FailedPrecondition,
      "expired",
    );
    assert.equal(reason(expired), "INVALID_RESET_TOKEN");
  });

  it("UserRegistered carries a 24-hour verification token; VerifyEmail sets email_verified once; a new request retires the old token", async () => {
    const { user, email, password } = await account("verify");
    assert.equal(user.emailVerified, false);
    const [registered] = await events(UserRegisteredSchema, user.id);
    const first = registered!.verificationToken;
    secrets.add(first);
    assert.equal(timestampMs(registered!.verificationExpireTime!) - timestampMs(registered!.registerTime!), 86_400_000);

    const tokens = (await auth.login({ email, password }, fresh())).tokens!;
    secrets.add(tokens.accessToken);
    await auth.requestEmailVerification({ requestId: randomUUID() }, bearer(tokens.accessToken));
    const [again] = await events(EmailVerificationRequestedSchema, user.id);
    secrets.add(again!.verificationToken);
    assert.notEqual(again!.verificationToken, first);
    const retired = await rejects(
      auth.verifyEmail({ requestId: randomUUID(), verificationToken: first }, fresh()),
      Code.FailedPrecondition,
      "the token a newer request retired",
    );
    assert.equal(reason(retired), "INVALID_VERIFICATION_TOKEN");

    const { user: verified } = await auth.verifyEmail(
      { requestId: randomUUID(), verificationToken: again!.verificationToken },
      fresh(),
    );
    assert.equal(verified?.emailVerified, true);
    assert.equal((await auth.getMe({}, bearer(tokens.accessToken))).user?.emailVerified, true);
    await rejects(
      auth.verifyEmail({ requestId: randomUUID(), verificationToken: again!.verificationToken }, fresh()),
      Code.FailedPrecondition,
      "used twice",
    );
    const done = await rejects(
      auth.requestEmailVerification({ requestId: randomUUID() }, bearer(tokens.accessToken)),
      Code.FailedPrecondition,
      "already verified",
    );
    assert.equal(reason(done), "EMAIL_ALREADY_VERIFIED");
    await rejects(
      auth.requestEmailVerification({ requestId: randomUUID() }),
      Code.Unauthenticated,
      "RequestEmailVerification needs a signed-in user",
    );
    // GetUser (what notification asks for the recipient) shows it too.
    const internal = createClient(
      AuthInternalService,
      createConnectTransport({ baseUrl: proc.baseUrl, httpVersion: "1.1" }),
    );
    const service = await internal.issueServiceToken({
      serviceName: "notification",
      serviceSecret: notificationSecret,
    });
    secrets.add(service.accessToken);
    assert.equal((await internal.getUser({ userId: user.id }, bearer(service.accessToken))).user?.emailVerified, true);
  });

  it("reset requests are throttled per email (any spelling) with RetryInfo, and the unknown email the same way", async () => {
    const { email } = await account("reset-flood");
    for (let i = 0; i < 3; i++) await requestReset(i === 1 ? email.toUpperCase() : email);
    const e = await rejects(requestReset(email), Code.ResourceExhausted, "a fourth reset request");
    assert.equal(reason(e), "ACCOUNT_EMAIL_THROTTLED");
    assert.ok(e.findDetails(RetryInfoSchema)[0]?.retryDelay, "RetryInfo");
    const nobody = `nobody-${randomUUID().slice(0, 8)}@example.com`;
    for (let i = 0; i < 3; i++) await requestReset(nobody);
    assert.equal(
      reason(await rejects(requestReset(nobody), Code.ResourceExhausted, "the same for an unknown email")),
      "ACCOUNT_EMAIL_THROTTLED",
    );
  });

  it("logged no password, reset or verification token at trace level", () => {
    assert.ok(logLines.length > 20, `the suite logged (${logLines.length} lines)`);
    const all = logLines.join("");
    for (const s of secrets) assert.ok(!all.includes(s), "a password or token reached the logs");
  });
});
