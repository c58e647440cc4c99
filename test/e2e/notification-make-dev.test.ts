// Issue 14 as a user meets it: `make dev` → buy a ticket with sandbox_ok → the confirmation .eml with
// the order's tickets appears in the folder make dev prints, within seconds, driven through the one port.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { simpleParser } from "mailparser";
import { OrderState } from "../../gen/boxoffice/ticket/v1/order_pb.js";
import { TicketService } from "../../gen/boxoffice/ticket/v1/ticket_service_pb.js";
import { dropPrefix, testPrefix } from "../support/infra.js";
import { header, mailOf, until } from "../support/notification-kit.js";
import { bearer, newUsersConfig, Users } from "../support/users.js";

describe("make dev: a ticket bought with sandbox_ok → its confirmation .eml in the printed folder within seconds", function () {
  this.timeout(180_000);
  const dataDir = mkdtempSync(join(tmpdir(), "boxoffice-dev-"));
  const prefix = testPrefix();
  let dev: ChildProcess | undefined;
  after(async () => {
    if (dev && dev.exitCode === null) {
      dev.kill("SIGTERM");
      await once(dev, "exit");
    }
    await dropPrefix(prefix);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("through the one port: register, hold, check out, and the email with the order's ticket codes lands", async () => {
    // make dev's own program, with its own SMTP sink (the test infrastructure for the rest)
    const env: Record<string, string | undefined> = {
      ...process.env,
      BOXOFFICE_DEV_DATA_DIR: dataDir,
      BOXOFFICE_PREFIX: prefix,
      BOXOFFICE_PORT: "0",
      BOXOFFICE_ADMIN_PORT: "0",
      BOXOFFICE_SMTP_URL: undefined,
    };
    dev = spawn(
      process.execPath,
      ["--import", "tsx", fileURLToPath(new URL("../../scripts/dev.ts", import.meta.url))],
      {
        env,
        // the banner is on stderr; its logs (stdout) only when asked for
        stdio: ["ignore", process.env.BOXOFFICE_TEST_LOG_LEVEL ? "inherit" : "ignore", "pipe"],
      },
    );
    const banner: string[] = [];
    const ready = new Promise<void>((resolve) =>
      createInterface({ input: dev!.stderr! }).on("line", (l) => {
        banner.push(l);
        if (l.includes("Ctrl-C stops it")) resolve();
      }),
    );
    await Promise.race([ready, once(dev, "exit").then(() => assert.fail(`make dev exited:\n${banner.join("\n")}`))]);
    const text = banner.join("\n");
    const mailDir = join(process.cwd(), /Emails land in (\S+)\//.exec(text)?.[1] ?? assert.fail(text));
    const baseUrl = /every service on (http:\/\/localhost:\d+)/.exec(text)?.[1] ?? assert.fail(text);
    const eventId = /"eventId":"([0-9a-f-]{36})"/.exec(text)?.[1] ?? assert.fail(text);

    const users = new Users(baseUrl, { ...newUsersConfig(), adminEmail: "", adminPassword: "" });
    const email = `buyer-${randomUUID().slice(0, 8)}@example.com`;
    await users.auth.register({
      requestId: randomUUID(),
      email,
      password: "a buyer's passphrase",
      displayName: "Buyer",
    });
    const buyer = await users.login(email, "a buyer's passphrase");
    const tickets = createClient(TicketService, createConnectTransport({ baseUrl, httpVersion: "1.1" }));
    const { availability } = await tickets.getAvailability({ eventId, includeSeats: true });
    const section = availability?.sections.find((s) => s.available >= 2) ?? assert.fail("nothing to buy");
    const { hold } = await tickets.holdSeats(
      {
        requestId: randomUUID(),
        eventId,
        items: [
          section.rows.length > 0
            ? { kind: { case: "bestAvailable", value: { sectionId: section.sectionId, quantity: 2 } } }
            : { kind: { case: "generalAdmission", value: { sectionId: section.sectionId, quantity: 2 } } },
        ],
      },
      await buyer.auth(),
    );
    const { order } = await tickets.checkout(
      { requestId: randomUUID(), holdId: hold!.id, paymentToken: "sandbox_ok" },
      await buyer.auth(),
    );
    let state = order!.state;
    await until("the order confirmed", async () => {
      state = (await tickets.getOrder({ orderId: order!.id }, await buyer.auth())).order!.state;
      return state !== OrderState.PENDING_PAYMENT;
    });
    assert.equal(state, OrderState.CONFIRMED);
    const confirmedAt = Date.now();
    const issued = (await tickets.listTickets({ eventId }, bearer(await buyer.token()))).tickets.filter(
      (t) => t.orderId === order!.id,
    );
    assert.equal(issued.length, 2);

    await until(
      "the confirmation .eml",
      () => mailOf(mailDir, "ORDER_CONFIRMED").some((m) => m.deliveredTo.includes(email)),
      10_000,
    );
    const landedMs = Date.now() - confirmedAt;
    process.stdout.write(`      the .eml landed ${landedMs} ms after the order read CONFIRMED\n`);
    assert.ok(landedMs < 10_000, "within seconds");
    const mails = mailOf(mailDir, "ORDER_CONFIRMED").filter((m) => m.deliveredTo.includes(email));
    assert.equal(mails.length, 1);
    const parsed = await simpleParser(mails[0]!.raw);
    for (const t of issued) assert.ok(parsed.text?.includes(t.code), `ticket ${t.id}'s code`);
    assert.equal(header(mails[0]!, "X-Boxoffice-Kind"), "ORDER_CONFIRMED");
  });
});
