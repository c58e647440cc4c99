/**
 * `make bench`: figures for the on-sale paths, each next to a baseline measured in the same run on
 * the same server (so a slow machine moves both). `BENCH_SMOKE=1` (what `make test` uses) runs
 * every scenario briefly so the benchmark never rots; the figures then mean little.
 *
 * Scenarios: the empty-RPC rate (grpc.health.v1 Check, the baseline), token verification
 * (cached and uncached) against it, and Login/s (argon2id-bound by design).
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { pino } from "pino";
import { modules } from "../cmd/modules.js";
import { AuthService } from "../gen/boxoffice/auth/v1/auth_service_pb.js";
import { startInfra } from "../harness/index.js";
import { migrateServices, startProcess } from "../platform/app/index.js";
import { serviceNames } from "../platform/config/runtime.js";
import { Health } from "../platform/health/index.js";
import { benchGetEvent } from "./get-event.js";
import { measure, row } from "./load.js";
import { benchVerify } from "./support/verify-bench.js";

const smoke = process.env.BENCH_SMOKE === "1";
const seconds = smoke ? 0.3 : 5;
const concurrency = 32;

const dir = mkdtempSync(join(tmpdir(), "boxoffice-bench-"));
const infra = await startInfra({ dataDir: dir, log: () => undefined });
const env = {
  ...process.env,
  BOXOFFICE_PREFIX: `bench${process.pid}`,
  BOXOFFICE_HOST: "127.0.0.1",
  BOXOFFICE_PORT: "0",
  BOXOFFICE_ADMIN_PORT: "0",
  BOXOFFICE_MARIADB_URL: infra.mariadbUrl,
  BOXOFFICE_REDIS_URL: infra.redisUrl,
  BOXOFFICE_NATS_URL: infra.natsUrl,
  BOXOFFICE_AUTH_LOGIN_MAX_PER_EMAIL: "1000000",
  BOXOFFICE_AUTH_LOGIN_MAX_PER_ADDRESS: "1000000",
  BOXOFFICE_AUTH_REGISTER_MAX_PER_ADDRESS: "1000000",
  // every bench user registers at once, before the measured part
  BOXOFFICE_AUTH_HASH_QUEUE: "10000",
  BOXOFFICE_MAX_INFLIGHT: "10000",
  BOXOFFICE_AUTH_BOOTSTRAP_ADMIN_EMAIL: "bench-admin@example.com",
  BOXOFFICE_AUTH_BOOTSTRAP_ADMIN_PASSWORD: `bench-admin-${randomUUID()}`,
};
const all = serviceNames.map((n) => modules[n]);
let failed = false;
try {
  await migrateServices(all, env);
  const proc = await startProcess({ modules: all, env, logger: pino({ level: "warn" }) });
  try {
    const transport = createGrpcTransport({ baseUrl: `http://127.0.0.1:${proc.server.port}` });
    const health = createClient(Health, transport);
    const auth = createClient(AuthService, transport);
    const out: string[] = [
      `Boxoffice bench (${smoke ? "smoke" : `${seconds}s per scenario`}, ${concurrency} concurrent callers, client and server on this machine)`,
      "",
    ];

    await measure(concurrency, 300, () => health.check({})); // warm-up
    const empty = await measure(concurrency, seconds * 1000, () => health.check({}));
    out.push(row("baseline: empty RPC (Health/Check, gRPC)", empty));

    const verify = await benchVerify(smoke ? 500 : 20_000);
    out.push(
      `${"token verification, uncached (jose EdDSA)".padEnd(44)} ${verify.uncachedPerSec.toFixed(0).padStart(8)}/s   ${(verify.uncachedPerSec / empty.perSec).toFixed(1)}× the empty RPC`,
    );
    out.push(
      `${"token verification, cached (per request)".padEnd(44)} ${verify.cachedPerSec.toFixed(0).padStart(8)}/s   ${(verify.cachedPerSec / empty.perSec).toFixed(1)}× the empty RPC`,
    );

    const users = await Promise.all(
      Array.from({ length: concurrency }, async (_, i) => {
        const email = `bench-${i}-${randomUUID().slice(0, 6)}@example.com`;
        const password = `bench-password-${randomUUID()}`;
        await auth.register({ requestId: randomUUID(), email, password, displayName: `Bench ${i}` });
        return { email, password };
      }),
    );
    const logins = await measure(concurrency, seconds * 1000, (w) => auth.login(users[w]!));
    out.push(row("Login (argon2id m=19MiB t=2, refresh row)", logins));
    const { tokens } = await auth.login(users[0]!);
    const getMe = await measure(concurrency, seconds * 1000, () =>
      auth.getMe({}, { headers: { authorization: `Bearer ${tokens!.accessToken}` } }),
    );
    out.push(row("GetMe (verified token + one user read)", getMe));

    // The event page: one hot on-sale event read by everyone, and first reads of many events.
    const eventsBench = await benchGetEvent(
      `http://127.0.0.1:${proc.server.port}`,
      `http://127.0.0.1:${proc.server.adminPort}`,
      env,
      seconds,
      concurrency,
      smoke,
    );
    out.push(...eventsBench.lines);

    const ratio = verify.cachedPerSec / empty.perSec;
    out.push("");
    out.push(`verification vs empty RPC: ${ratio.toFixed(1)}× (target ≥ 3×: ${ratio >= 3 ? "met" : "NOT met"})`);
    if (ratio < 3 && !smoke) failed = true;
    if (empty.errors + logins.errors + getMe.errors > 0) {
      out.push(`errors during the run: ${empty.errors + logins.errors + getMe.errors}`);
      failed = true;
    }
    process.stdout.write(`${out.join("\n")}\n`);
  } finally {
    await proc.stop();
  }
} finally {
  await infra.stop();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
