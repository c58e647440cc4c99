// A password reset through the edge (issue 14): all services in one process behind the one port,
// the real auth (RequestPasswordReset, ResetPassword, Login) and notification, its own SMTP sink.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { simpleParser } from "mailparser";
import { AuthService } from "../../gen/boxoffice/auth/v1/auth_service_pb.js";
import { listMail, type SmtpSink, startSmtpSink } from "../../harness/index.js";
import { sleep } from "../../platform/clock/index.js";
import { failure } from "../support/assert.js";
import { mailOf, until } from "../support/notification-kit.js";
import { startTestProcess } from "../support/process.js";
import { newUsersConfig, usersEnv } from "../support/users.js";

describe("a password reset through the edge (all services, one port, the SMTP sink)", function () {
  this.timeout(60_000);
  const dir = mkdtempSync(join(tmpdir(), "boxoffice-reset-"));
  const cfg = newUsersConfig();
  let sink: SmtpSink;
  let proc: Awaited<ReturnType<typeof startTestProcess>>;
  before(async () => {
    sink = await startSmtpSink({ dataDir: dir, log: () => {} });
    proc = await startTestProcess({
      echo: false,
      env: {
        ...usersEnv(cfg),
        BOXOFFICE_SMTP_URL: sink.url,
        BOXOFFICE_NOTIFICATION_POLL_MS: "50",
        BOXOFFICE_NOTIFICATION_LINK_BASE_URL: "https://shop.boxoffice.test",
      },
    });
  });
  after(async () => {
    await proc?.stop();
    await sink?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("request → the email in the sink → reset with its token → log in with the new password; the token works once; an unknown email gets the same answer and no email", async () => {
    const auth = createClient(AuthService, createConnectTransport({ baseUrl: proc.baseUrl, httpVersion: "1.1" }));
    const email = `reset-${randomUUID().slice(0, 8)}@example.com`;
    await auth.register({ requestId: randomUUID(), email, password: "the old passphrase", displayName: "Reset" });

    const known = await auth.requestPasswordReset({ requestId: randomUUID(), email });
    await until("the reset email", () =>
      mailOf(sink.mailDir, "PASSWORD_RESET").some((m) => m.deliveredTo.includes(email)),
    );
    const mail = mailOf(sink.mailDir, "PASSWORD_RESET").find((m) => m.deliveredTo.includes(email))!;
    const link = /https:\/\/shop\.boxoffice\.test\/reset-password\?token=[^\s"<]+/.exec(
      (await simpleParser(mail.raw)).text ?? "",
    )?.[0];
    assert.ok(link, "the email carries the link");
    const resetToken = new URL(link).searchParams.get("token")!;

    await auth.resetPassword({ requestId: randomUUID(), resetToken, newPassword: "the new passphrase" });
    assert.ok((await auth.login({ email, password: "the new passphrase" })).tokens?.accessToken);
    assert.equal((await failure(auth.login({ email, password: "the old passphrase" }))).code, Code.Unauthenticated);
    const again = await failure(
      auth.resetPassword({ requestId: randomUUID(), resetToken, newPassword: "a third passphrase" }),
    );
    assert.equal(again.code, Code.FailedPrecondition, "the token works once");

    const stranger = `nobody-${randomUUID().slice(0, 8)}@example.com`;
    const unknown = await auth.requestPasswordReset({ requestId: randomUUID(), email: stranger });
    assert.deepEqual(unknown, known, "the same answer whether or not the account exists");
    await sleep(2000); // long enough for an email to arrive if one were sent
    assert.equal(listMail(sink.mailDir).filter((m) => m.deliveredTo.includes(stranger)).length, 0);
  });
});
