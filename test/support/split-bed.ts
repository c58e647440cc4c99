/**
 * Ticket and payment as separate processes, as in the cluster: `boxoffice serve --services=payment`
 * (the real payment service) and the ticket service's order half (ticket-orders-child.ts), and on
 * request `boxoffice serve --services=notification` too, each a
 * child process on a port of its own that survives its restarts, both calling auth (an in-test
 * process) for service tokens and JWKS, on the test MariaDB and NATS under one prefix. SIGKILL and
 * restart either one.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { modules } from "../../cmd/modules.js";
import { freePort } from "../../harness/system.js";
import { migrateServices } from "../../platform/app/index.js";
import { generateSigningKey } from "../../platform/auth/index.js";
import { sleep } from "../../platform/clock/index.js";
import { createDb, type Db } from "../../platform/db/index.js";
import { authModule } from "../../services/auth/index.js";
import { infraUrls, prefixedEnv, testPrefix } from "./infra.js";
import { type Proc, Shop } from "./orders-bed.js";
import { ordersTestModule } from "./orders-kit.js";
import { startTestProcess } from "./process.js";
import { newUsersConfig, Users, usersEnv } from "./users.js";

const program = fileURLToPath(new URL("../../cmd/boxoffice.ts", import.meta.url));
const ticketChild = fileURLToPath(new URL("./ticket-orders-child.ts", import.meta.url));

type Role = "ticket" | "payment" | "notification";

interface Child {
  proc: ChildProcess;
  exited: Promise<number | null>;
  log: string[];
}

export class SplitBed extends Shop {
  readonly prefix = testPrefix();
  readonly cfg = newUsersConfig();
  auth!: Proc;
  readonly ports: Record<Role, number> = { ticket: 0, payment: 0, notification: 0 };
  readonly children: Partial<Record<Role, Child>> = {};
  readonly env: Record<Role, Record<string, string>> = { ticket: {}, payment: {}, notification: {} };
  ticketDb!: Db;
  paymentDb!: Db;

  get db(): Db {
    return this.ticketDb;
  }

  url(role: Role): string {
    return `http://127.0.0.1:${this.ports[role]}`;
  }

  /**
   * `all` goes to every process, auth included; `notification`, when given, starts a notification
   * process too (calling ticket and auth, sending to the test SMTP sink).
   */
  async start(
    o: {
      ticket?: Record<string, string>;
      payment?: Record<string, string>;
      notification?: Record<string, string>;
      all?: Record<string, string>;
    } = {},
  ): Promise<this> {
    this.auth = await startTestProcess({
      modules: [authModule],
      echo: false,
      env: { ...usersEnv(this.cfg), BOXOFFICE_PREFIX: this.prefix, ...o.all },
    });
    this.ports.ticket = await freePort();
    this.ports.payment = await freePort();
    if (o.notification !== undefined) this.ports.notification = await freePort();
    const common = {
      ...prefixedEnv(this.prefix),
      ...usersEnv(this.cfg),
      BOXOFFICE_HOST: "127.0.0.1",
      BOXOFFICE_ADMIN_PORT: "0",
      BOXOFFICE_LOG_LEVEL: process.env.BOXOFFICE_TEST_LOG_LEVEL ?? "warn",
      BOXOFFICE_AUTH_URL: this.auth.baseUrl,
      BOXOFFICE_TICKET_URL: this.url("ticket"),
      BOXOFFICE_PAYMENT_URL: this.url("payment"),
      BOXOFFICE_SHUTDOWN_GRACE_MS: "3000",
      ...o.all,
    };
    const keys = JSON.stringify([(await generateSigningKey(`ticket-${this.prefix}`)).privateJwk]);
    this.env.ticket = {
      ...common,
      BOXOFFICE_PORT: String(this.ports.ticket),
      BOXOFFICE_TICKET_SIGNING_KEYS: keys,
      ...o.ticket,
    };
    this.env.payment = { ...common, BOXOFFICE_PORT: String(this.ports.payment), ...o.payment };
    this.env.notification = {
      ...common,
      BOXOFFICE_PORT: String(this.ports.notification),
      BOXOFFICE_NOTIFICATION_POLL_MS: "50",
      BOXOFFICE_NOTIFICATION_LINK_BASE_URL: "https://shop.boxoffice.test",
      ...o.notification,
    };
    await migrateServices(
      [ordersTestModule, modules.payment, ...(o.notification ? [modules.notification] : [])],
      this.env.ticket,
    );
    const url = infraUrls().mariadbUrl;
    this.ticketDb = createDb({ url, database: `${this.prefix}_ticket`, poolSize: 6 });
    this.paymentDb = createDb({ url, database: `${this.prefix}_payment`, poolSize: 4 });
    await Promise.all([
      this.startChild("payment"),
      this.startChild("ticket"),
      ...(o.notification ? [this.startChild("notification")] : []),
    ]);
    await this.connect(this.url("ticket"), new Users(this.auth.baseUrl, this.cfg));
    return this;
  }

  /** Starts (or restarts) a child and waits until its port answers health checks. */
  async startChild(role: Role): Promise<void> {
    const args = role === "ticket" ? [ticketChild] : [program, "serve", `--services=${role}`];
    const proc = spawn(process.execPath, ["--import", "tsx", ...args], {
      env: { PATH: process.env.PATH ?? "", ...this.env[role] },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const log: string[] = [];
    const keep = (b: Buffer) => {
      log.push(b.toString());
      if (log.length > 200) log.shift();
      if (process.env.BOXOFFICE_TEST_LOG_LEVEL) process.stderr.write(`[${role}] ${b}`);
    };
    proc.stdout!.on("data", keep);
    proc.stderr!.on("data", keep);
    const exited = once(proc, "exit").then(([code]) => code as number | null);
    this.children[role] = { proc, exited, log };
    const until = Date.now() + 60_000;
    for (;;) {
      if (proc.exitCode !== null) assert.fail(`${role} exited at start:\n${log.join("")}`);
      try {
        const res = await fetch(`${this.url(role)}/grpc.health.v1.Health/Check`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: "{}",
        });
        if (res.ok && ((await res.json()) as { status?: string }).status === "SERVING") return;
      } catch {
        // not listening yet
      }
      if (Date.now() > until) assert.fail(`${role} did not become ready:\n${log.join("")}`);
      await sleep(100);
    }
  }

  /** SIGKILL: no drain, no goodbye. */
  async kill(role: Role): Promise<void> {
    const c = this.children[role];
    if (c === undefined || c.proc.exitCode !== null) return;
    c.proc.kill("SIGKILL");
    await c.exited;
  }

  async stop(): Promise<void> {
    for (const c of Object.values(this.children)) if (c.proc.exitCode === null) c.proc.kill("SIGTERM");
    await Promise.all(
      Object.values(this.children).map((c) => Promise.race([c.exited, sleep(8000).then(() => c.proc.kill("SIGKILL"))])),
    );
    await this.ticketDb?.close();
    await this.paymentDb?.close();
    await this.auth?.stop(); // drops every database of the prefix
  }
}
