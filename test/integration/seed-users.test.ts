import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { modules } from "../../cmd/modules.js";
import { seedUsers } from "../../cmd/seed-users.js";
import { Role } from "../../gen/boxoffice/auth/v1/auth_pb.js";
import { AuthService } from "../../gen/boxoffice/auth/v1/auth_service_pb.js";
import { generateSigningKey } from "../../platform/auth/index.js";
import { infraNames } from "../../platform/config/names.js";
import { rawConnection } from "../support/infra.js";
import { startTestProcess } from "../support/process.js";

const bin = fileURLToPath(new URL("../../bin/boxoffice", import.meta.url));

describe("boxoffice seed users (auth's database, one shared hash, minted tokens)", function () {
  this.timeout(60_000);
  let proc: Awaited<ReturnType<typeof startTestProcess>>;
  let env: Record<string, string>;

  before(async () => {
    const key = await generateSigningKey("seed-test");
    proc = await startTestProcess({
      echo: false,
      modules: [modules.auth],
      env: { BOXOFFICE_AUTH_SIGNING_KEYS: JSON.stringify([key.privateJwk]) },
    });
    env = proc.env;
  });
  after(async () => {
    await proc?.stop();
  });

  it("inserts N CUSTOMER accounts whose tokens auth accepts and whose shared password logs in", async () => {
    const { users, password } = await seedUsers({ count: 120, env, emailPrefix: "seedtest", batchSize: 50 });
    assert.equal(users.length, 120);
    assert.equal(new Set(users.map((u) => u.id)).size, 120);
    assert.equal(users[0]?.email, "seedtest-1@seed.boxoffice.localhost");

    const conn = await rawConnection(infraNames(proc.prefix).database("auth"));
    try {
      const [rows] = await conn.query(
        "SELECT COUNT(*) AS n, COUNT(DISTINCT password_hash) AS hashes FROM users WHERE email LIKE 'seedtest-%'",
      );
      assert.deepEqual(rows, [{ n: 120, hashes: 1 }]);
      const [roles] = await conn.query(
        "SELECT COUNT(*) AS n FROM user_roles r JOIN users u ON u.id = r.user_id WHERE u.email LIKE 'seedtest-%' AND r.role = 'CUSTOMER'",
      );
      assert.deepEqual(roles, [{ n: 120 }]);
    } finally {
      await conn.end();
    }

    const auth = createClient(AuthService, createGrpcTransport({ baseUrl: proc.baseUrl }));
    for (const u of [users[0]!, users[77]!]) {
      const me = await auth.getMe({}, { headers: { authorization: `Bearer ${u.accessToken}` } });
      assert.equal(me.user?.id, u.id);
      assert.deepEqual(me.user?.roles, [Role.CUSTOMER]);
    }
    const login = await auth.login({ email: users[119]!.email, password });
    assert.ok(login.tokens?.accessToken);
  });

  it("the CLI streams JSON lines and refuses without signing keys or in production", async () => {
    const run = (args: string[], extra: Record<string, string | undefined>) =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const child = spawn(bin, ["seed", "users", ...args], { env: { ...process.env, ...env, ...extra } });
        let out = "";
        let err = "";
        child.stdout.on("data", (b) => (out += b));
        child.stderr.on("data", (b) => (err += b));
        child.on("exit", (code) => resolve({ code, out, err }));
      });
    const prefix = `cli${randomUUID().slice(0, 6)}`;
    const ok = await run(["3", "--email-prefix", prefix], {});
    assert.equal(ok.code, 0, ok.err);
    const lines = ok.out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { id: string; email: string; accessToken: string });
    assert.deepEqual(
      lines.map((l) => l.email),
      [1, 2, 3].map((i) => `${prefix}-${i}@seed.boxoffice.localhost`),
    );
    assert.ok(lines.every((l) => l.accessToken.split(".").length === 3));

    const noKeys = await run(["1"], { BOXOFFICE_AUTH_SIGNING_KEYS: "" });
    assert.notEqual(noKeys.code, 0);
    assert.match(noKeys.err, /BOXOFFICE_AUTH_SIGNING_KEYS/);
    const prod = await run(["1"], { BOXOFFICE_ENV: "production" });
    assert.notEqual(prod.code, 0);
    assert.match(prod.err, /production/);
  });
});
