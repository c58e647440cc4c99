import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { modules } from "../../cmd/modules.js";
import { migrateServices } from "../../platform/app/index.js";
import { generateSigningKey } from "../../platform/auth/index.js";
import { serviceNames } from "../../platform/config/runtime.js";
import { dropPrefix, prefixedEnv, testPrefix } from "../support/infra.js";

const bin = fileURLToPath(new URL("../../bin/boxoffice", import.meta.url));

/** The real program, as `make` runs it: Node 22 (this one) first on PATH, the given environment only. */
function boxoffice(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(bin, args, {
    env: { PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}`, HOME: process.env.HOME ?? "/", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Runs until exit; its exit code and what it printed. */
function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const child = boxoffice(args, env);
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, out })));
}

/**
 * Production mode through the real binary: `BOXOFFICE_ENV=production bin/boxoffice serve` exits
 * non-zero naming each missing setting (only those of the services it runs), and serves with them.
 */
describe("production mode: bin/boxoffice serve (real binary, real infrastructure)", function () {
  this.timeout(60_000);
  const prefix = testPrefix();
  const base = {
    ...prefixedEnv(prefix),
    BOXOFFICE_ENV: "production",
    BOXOFFICE_HOST: "127.0.0.1",
    BOXOFFICE_PORT: "0",
    BOXOFFICE_ADMIN_PORT: "0",
    BOXOFFICE_LOG_LEVEL: "info",
  };

  before(async () => {
    await migrateServices(
      serviceNames.map((n) => modules[n]),
      base,
    );
  });
  after(() => dropPrefix(prefix));

  it("without the settings: exits 78, naming each missing one", async () => {
    const { code, out } = await run(["serve", "--services=all"], base);
    assert.equal(code, 78, out);
    assert.match(out, /production mode \(BOXOFFICE_ENV=production\) refuses to start/);
    for (const v of [
      "BOXOFFICE_AUTH_SIGNING_KEYS",
      "BOXOFFICE_AUTH_REFRESH_SECRET",
      "BOXOFFICE_PAGE_TOKEN_SECRET",
      "BOXOFFICE_SERVICE_SECRETS",
      "BOXOFFICE_IDEMPOTENCY_SECRET",
    ])
      assert.match(out, new RegExp(`\\n  ${v} is not set: production mode needs it for`), `${v} is named`);
    assert.match(
      out,
      /\n {2}BOXOFFICE_CORS_ORIGINS is not set, and production mode refuses its default: production needs the storefront's origins/,
    );
    assert.doesNotMatch(out, /"msg":"serving"/);
  });

  it("--services=event asks only for what event needs", async () => {
    const { code, out } = await run(["serve", "--services=event"], base);
    assert.equal(code, 78, out);
    const named = [...out.matchAll(/\n {2}(BOXOFFICE_[A-Z_]+)/g)].map((m) => m[1]).sort();
    assert.deepEqual(named, ["BOXOFFICE_CORS_ORIGINS", "BOXOFFICE_IDEMPOTENCY_SECRET", "BOXOFFICE_PAGE_TOKEN_SECRET"]);
  });

  it("with them: serves (health SERVING through the one port), and stops cleanly on SIGTERM", async () => {
    const secret = () => randomBytes(24).toString("base64url");
    const env = {
      ...base,
      BOXOFFICE_AUTH_SIGNING_KEYS: JSON.stringify([(await generateSigningKey("prod-test")).privateJwk]),
      BOXOFFICE_AUTH_REFRESH_SECRET: randomBytes(32).toString("base64url"),
      BOXOFFICE_PAGE_TOKEN_SECRET: secret(),
      BOXOFFICE_IDEMPOTENCY_SECRET: secret(),
      BOXOFFICE_SERVICE_SECRETS: serviceNames.map((s) => `${s}=${secret()}`).join(","),
      BOXOFFICE_CORS_ORIGINS: "https://shop.example",
      // What the services wired after this test was written declare (harmless until they read them).
      BOXOFFICE_TICKET_SIGNING_KEYS: JSON.stringify([(await generateSigningKey("prod-test-ticket")).privateJwk]),
      BOXOFFICE_SMTP_URL: process.env.BOXOFFICE_SMTP_URL ?? "smtp://127.0.0.1:25",
      BOXOFFICE_PAYMENT_ALLOW_SANDBOX: "true",
    };
    const child = boxoffice(["serve", "--services=all"], env);
    let out = "";
    child.stderr!.on("data", (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const port = await new Promise<number>((resolve, reject) => {
      let buffered = "";
      child.stdout!.on("data", (d) => {
        buffered += d;
        const m = /"port":(\d+),"adminPort":\d+,"msg":"serving"/.exec(buffered);
        if (m) resolve(Number(m[1]));
      });
      void exited.then((code) => reject(new Error(`exited ${code} before serving:\n${out}\n${buffered}`)));
    });
    const res = await fetch(`http://127.0.0.1:${port}/grpc.health.v1.Health/Check`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    assert.deepEqual(await res.json(), { status: "SERVING" });
    child.kill("SIGTERM");
    assert.equal(await exited, 0, out);
  });
});
