import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createRegistry } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { modules } from "../../cmd/modules.js";
import {
  PaymentFailedSchema,
  PaymentRefundedSchema,
  PaymentSucceededSchema,
} from "../../gen/boxoffice/payment/v1/events_pb.js";
import { PaymentInternalService } from "../../gen/boxoffice/payment/v1/payment_internal_service_pb.js";
import { migrateServices } from "../../platform/app/index.js";
import { sleep } from "../../platform/clock/index.js";
import { infraNames } from "../../platform/config/names.js";
import { createDb, type Db } from "../../platform/db/index.js";
import { auditPayment } from "../../services/payment/use-cases/audit-payment.js";
import { infraUrls } from "../support/infra.js";
import { startTestProcess } from "../support/process.js";
import { StreamReader } from "../support/stream-reader.js";
import { bearer, newUsersConfig, Users, usersEnv } from "../support/users.js";

const program = fileURLToPath(new URL("../../cmd/boxoffice.ts", import.meta.url));

/** `boxoffice serve --services=payment` in a child process; resolves once it serves, with its port. */
async function startPayment(env: Record<string, string>): Promise<{ child: ChildProcess; baseUrl: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", program, "serve", "--services=payment"], {
    env: { ...process.env, ...env, BOXOFFICE_LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout! });
  const serving = new Promise<number>((resolve) =>
    lines.on("line", (l) => {
      if (!l.includes('"serving"')) return;
      const { port } = JSON.parse(l) as { port?: number };
      if (port !== undefined) resolve(port);
    }),
  );
  const exited = once(child, "exit").then(([code]) => assert.fail(`payment exited (${code}) before serving`));
  const port = await Promise.race([serving, exited]);
  return { child, baseUrl: `http://127.0.0.1:${port}` };
}

/**
 * The payment process SIGKILLed while a charge is at the provider (`--services=payment` in a child
 * process, auth in the test's own): the charge stays PENDING under the dead process's lease; the
 * restarted process's settle sweep takes over once the lease runs out, finds the charge at the
 * provider by key and records it — one charge, one PaymentSucceeded, the ledger reconciled —
 * without anyone asking.
 */
describe("payment restarted mid-charge (a child process, SIGKILL)", function () {
  this.timeout(60_000);
  const cfg = newUsersConfig();
  let proc: Awaited<ReturnType<typeof startTestProcess>>;
  let db: Db;
  let stream: StreamReader;
  const children: ChildProcess[] = [];

  before(async () => {
    proc = await startTestProcess({ echo: false, modules: [modules.auth], env: usersEnv(cfg) });
    await migrateServices([modules.payment], proc.env);
    db = createDb({ url: infraUrls().mariadbUrl, database: infraNames(proc.prefix).database("payment"), poolSize: 2 });
    stream = await StreamReader.open(
      infraNames(proc.prefix).stream("payment"),
      createRegistry(PaymentSucceededSchema, PaymentFailedSchema, PaymentRefundedSchema),
    );
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    await stream?.close();
    await db?.close();
    await proc?.stop();
  });

  const query = async (sql: string, ...params: unknown[]) =>
    (await db.pool.query(sql, params))[0] as Array<Record<string, unknown>>;

  it("the restarted process's sweep settles the charge from the provider's record: one charge, one event", async () => {
    const env = {
      ...proc.env,
      BOXOFFICE_AUTH_URL: proc.baseUrl,
      BOXOFFICE_PORT: "0",
      BOXOFFICE_ADMIN_PORT: "0",
      // A slow charge is at the provider long enough to kill the process in the middle of it; short
      // provider timeouts keep the dead process's lease (worst-case call + 5 s) under 9 s.
      BOXOFFICE_SANDBOX_SLOW_MS: "2000",
      BOXOFFICE_PAYMENT_PROVIDER_TIMEOUT_MS: "500",
      BOXOFFICE_PAYMENT_SETTLE_EVERY_MS: "200",
    };
    const first = await startPayment(env);
    children.push(first.child);
    const token = bearer(await new Users(proc.baseUrl, cfg).serviceToken("ticket"));
    const internal = createClient(PaymentInternalService, createGrpcTransport({ baseUrl: first.baseUrl }));
    const orderId = randomUUID();
    const charging = internal
      .charge(
        {
          requestId: orderId,
          orderId,
          userId: randomUUID(),
          amount: { currencyCode: "EUR", amountMinor: 7300n },
          paymentToken: "sandbox_slow",
        },
        token,
      )
      .then(
        () => "answered",
        () => "failed",
      );
    // Kill it once the provider has the charge and before it answers.
    const key = `charge:${orderId}`;
    for (let i = 0; (await query("SELECT 1 FROM sandbox_charges WHERE idempotency_key = ?", key)).length === 0; i++) {
      assert.ok(i < 200, "the charge reached the provider");
      await sleep(10);
    }
    first.child.kill("SIGKILL");
    assert.equal(await charging, "failed", "the caller got no answer");
    const [pending] = await query("SELECT id, state, claimed_until FROM payments WHERE order_id = ?", orderId);
    assert.equal(pending?.state, "PENDING", "the dead process recorded nothing");
    const leaseEnds = (pending!.claimed_until as Date).getTime();

    const second = await startPayment(env);
    children.push(second.child);
    // the sweep can take over once both the lease has run out and the new process is up (a child
    // process starts in 1–10 s depending on the machine's load)
    const canSettleAt = Math.max(leaseEnds, Date.now());
    const paymentId = String(pending?.id);
    const event = await stream.waitFor(
      "PaymentSucceeded from the restarted process",
      (seen) => seen.find((m) => m.envelope.aggregateId === paymentId),
      20_000,
    );
    assert.ok(event.payload.$typeName.endsWith("PaymentSucceeded"));
    const [after] = await query("SELECT state, attempts FROM payments WHERE id = ?", paymentId);
    assert.equal(after?.state, "SUCCEEDED");
    assert.ok(
      Date.now() - canSettleAt < 5_000,
      `settled ${Date.now() - canSettleAt} ms after the dead lease ran out and the new process was up`,
    );
    assert.equal((await query("SELECT 1 FROM sandbox_charges WHERE idempotency_key = ?", key)).length, 1);
    assert.deepEqual(await auditPayment(db.orm, paymentId), []);
    await sleep(300);
    await stream.poll();
    assert.equal(stream.seen.filter((m) => m.envelope.aggregateId === paymentId).length, 1, "announced once");
  });
});
