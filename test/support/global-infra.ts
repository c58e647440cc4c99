/**
 * Mocha global fixture: the infrastructure every suite shares. Uses BOXOFFICE_MARIADB_URL,
 * BOXOFFICE_REDIS_URL, BOXOFFICE_NATS_URL and BOXOFFICE_SMTP_URL when set; otherwise the harness starts embedded
 * servers in .data/test-<pid> and removes them afterwards. Suites isolate themselves by prefix
 * (test/support/infra.ts); fault tests that kill servers start their own with the harness.
 */
import { type Infra, startInfra } from "../../harness/index.js";

let infra: Infra | undefined;

export async function mochaGlobalSetup(): Promise<void> {
  infra = await startInfra({
    dataDir: `.data/test-${process.pid}`,
    keep: false,
    log: (line) => process.stderr.write(`test infra: ${line}\n`),
  });
  process.env.BOXOFFICE_MARIADB_URL = infra.mariadbUrl;
  process.env.BOXOFFICE_REDIS_URL = infra.redisUrl;
  process.env.BOXOFFICE_NATS_URL = infra.natsUrl;
  process.env.BOXOFFICE_SMTP_URL = infra.smtpUrl;
  // where the shared sink keeps mail and takes faults; unset when BOXOFFICE_SMTP_URL came from outside
  if (infra.smtpSink) {
    process.env.BOXOFFICE_TEST_MAIL_DIR = infra.mailDir;
    process.env.BOXOFFICE_TEST_SMTP_CONTROL_URL = infra.smtpSink.controlUrl;
  }
  // Node runs no exit hooks when a signal kills it: stop the servers first (Ctrl-C on a test run).
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      void (infra?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
    });
  }
}

export async function mochaGlobalTeardown(): Promise<void> {
  await infra?.stop();
}
