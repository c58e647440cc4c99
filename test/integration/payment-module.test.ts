import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { SetSandboxFaultsRequestSchema } from "../../gen/boxoffice/payment/v1/payment_service_pb.js";
import type { ServiceContext } from "../../platform/app/index.js";
import { ConfigError, loadConfig } from "../../platform/config/index.js";
import type { Db } from "../../platform/db/index.js";
import { DomainError } from "../../platform/errors/index.js";
import { userPrincipal } from "../../platform/principal/index.js";
import { paymentSpec } from "../../services/payment/config.js";
import { paymentModule } from "../../services/payment/index.js";
import type { PaymentProvider } from "../../services/payment/provider/provider.js";
import { setSandboxFaults } from "../../services/payment/use-cases/set-sandbox-faults.js";
import { dropPrefix, testPrefix } from "../support/infra.js";
import { paymentDatabase, paymentKit } from "../support/payment-kit.js";

/** Thrown by the stand-in context once the module asks for its database: its start got past the checks. */
class PastTheChecks extends Error {}

/** Starts the payment module with `env` on a context that stops it at its first use of the process. */
async function startWith(env: Record<string, string>): Promise<unknown> {
  const ctx = {
    name: "payment",
    settings: loadConfig(paymentSpec, env),
    database: () => {
      throw new PastTheChecks();
    },
  } as unknown as ServiceContext<ReturnType<typeof loadConfig<typeof paymentSpec>>>;
  return Promise.resolve()
    .then(() => paymentModule.create(ctx))
    .catch((e: unknown) => e);
}

describe("payment module start", () => {
  it("production mode refuses the sandbox before anything starts, naming the variables", async () => {
    const e = await startWith({ BOXOFFICE_ENV: "production" });
    assert.ok(e instanceof ConfigError, String(e));
    assert.match(e.message, /BOXOFFICE_PAYMENT_PROVIDER=sandbox/);
    assert.match(e.message, /BOXOFFICE_PAYMENT_ALLOW_SANDBOX=true/);
  });

  it("starts with the sandbox in development, and in production when BOXOFFICE_PAYMENT_ALLOW_SANDBOX=true (staging)", async () => {
    assert.ok((await startWith({})) instanceof PastTheChecks);
    assert.ok(
      (await startWith({ BOXOFFICE_ENV: "production", BOXOFFICE_PAYMENT_ALLOW_SANDBOX: "true" })) instanceof
        PastTheChecks,
    );
  });
});

describe("SetSandboxFaults with a real processor configured", () => {
  const prefix = testPrefix();
  let db: Db;
  before(async () => {
    db = await paymentDatabase(prefix, 2);
  });
  after(async () => {
    await db.close();
    await dropPrefix(prefix);
  });

  it("→ FAILED_PRECONDITION SANDBOX_NOT_IN_USE, naming the provider", async () => {
    const { deps } = paymentKit(db);
    const unused = () => Promise.reject(new Error("not called by SetSandboxFaults"));
    const acme: PaymentProvider = { name: "acme", charge: unused, refund: unused, lookupCharge: unused };
    const real = { ...deps, sandbox: undefined, provider: acme };
    const admin = userPrincipal("0190aaaa-0000-7000-8000-0000000000ad", ["ADMIN"]);
    assert.throws(
      () => setSandboxFaults(real, admin, create(SetSandboxFaultsRequestSchema, { failureRate: 1 })),
      (e: unknown) => e instanceof DomainError && e.reason === "SANDBOX_NOT_IN_USE" && e.metadata.provider === "acme",
    );
    // With the sandbox, the same request sets the knobs.
    assert.equal(
      setSandboxFaults(deps, admin, create(SetSandboxFaultsRequestSchema, { failureRate: 1 })).failureRate,
      1,
    );
  });
});
