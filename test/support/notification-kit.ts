/**
 * Kit for the notification suites: the services notification calls, as real Connect servers — the
 * real auth service (GetUser, service tokens, JWKS) in an "upstream" process beside a stand-in for
 * ticket's internal contract (GetOrderTickets, its access declared as ticket declares it, so the
 * caller's service token is really checked) — the notification service in a process of its own
 * (in-test, or `bin/boxoffice serve --services=notification` as a child to SIGKILL), and the mail
 * the SMTP sink kept.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { type EventSummary, EventSummarySchema } from "../../gen/boxoffice/ticket/v1/events_pb.js";
import { TicketInternalService } from "../../gen/boxoffice/ticket/v1/ticket_internal_service_pb.js";
import { type Ticket, TicketSchema, TicketState } from "../../gen/boxoffice/ticket/v1/ticket_pb.js";
import { listMail, type SmtpSink, type StoredMail, startSmtpSink } from "../../harness/index.js";
import { migrateServices, type RunningProcess, startProcess } from "../../platform/app/index.js";
import { sleep } from "../../platform/clock/index.js";
import { access } from "../../platform/rpc/access.js";
import { defineService, type ServiceRegistration } from "../../platform/rpc/service.js";
import { authModule } from "../../services/auth/index.js";
import { notificationModule } from "../../services/notification/index.js";
import { dropPrefix, infraUrls, prefixedEnv, rawConnection, testPrefix } from "./infra.js";
import { EventFeed } from "./notification-feed.js";
import { testEnv } from "./process.js";
import { newUsersConfig, Users, type UsersConfig, usersEnv } from "./users.js";

export async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 20_000,
  everyMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** ticket's TicketInternalService.GetOrderTickets, answering from what the test issued. */
export class FakeTickets {
  readonly orders = new Map<string, Ticket[]>();
  calls = 0;
  /** the next n calls answer UNAVAILABLE (ticket down) */
  unavailable = 0;

  /** Issues `n` seated tickets (with codes) for an order. */
  issue(o: { orderId: string; eventId: string; userId: string }, n = 2): Ticket[] {
    const tickets = Array.from({ length: n }, (_, i) =>
      create(TicketSchema, {
        id: randomUUID(),
        orderId: o.orderId,
        eventId: o.eventId,
        userId: o.userId,
        sectionId: randomUUID(),
        sectionName: "Block A",
        rowLabel: "7",
        seatLabel: String(12 + i),
        code: `BX1.${randomUUID().replaceAll("-", "").slice(0, 20)}`,
        state: TicketState.VALID,
        issueTime: timestampFromMs(Date.now()),
      }),
    );
    this.orders.set(o.orderId, tickets);
    return tickets;
  }

  registration(): ServiceRegistration {
    return defineService(
      TicketInternalService,
      { getOrderTickets: access.internal("notification") },
      {
        getOrderTickets: async (req) => {
          this.calls++;
          if (this.unavailable > 0) {
            this.unavailable--;
            throw new ConnectError("ticket is restarting", Code.Unavailable);
          }
          const tickets = this.orders.get(req.orderId);
          if (tickets === undefined) throw new ConnectError(`order ${req.orderId} not found`, Code.NotFound);
          return { tickets };
        },
      },
    );
  }
}

export interface Upstream {
  proc: RunningProcess;
  baseUrl: string;
  users: Users;
  /** Registers a customer (auth publishes UserRegistered: a welcome email follows). */
  register(tag: string): Promise<{ id: string; email: string; password: string }>;
}

/** Auth and the ticket stand-in in one process under `prefix` (migrated). */
export async function startUpstream(prefix: string, cfg: UsersConfig, tickets: FakeTickets): Promise<Upstream> {
  const env = testEnv({ ...prefixedEnv(prefix), ...usersEnv(cfg) });
  await migrateServices([authModule], env);
  const proc = await startProcess({ modules: [authModule], env, extraServices: [tickets.registration()] });
  const baseUrl = `http://127.0.0.1:${proc.server.port}`;
  const users = new Users(baseUrl, cfg);
  return {
    proc,
    baseUrl,
    users,
    async register(tag) {
      const email = `${tag}-${randomUUID().slice(0, 8)}@example.com`;
      const password = `pw-${randomUUID()}`;
      const { user } = await users.auth.register({ requestId: randomUUID(), email, password, displayName: tag });
      return { id: user!.id, email, password };
    },
  };
}

/** The notification service's environment: the upstream for auth and ticket, its own sink, test-speed timings. */
export function notifierEnv(
  prefix: string,
  upstream: Upstream,
  cfg: UsersConfig,
  smtpUrl: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return testEnv({
    ...prefixedEnv(prefix),
    ...usersEnv(cfg),
    BOXOFFICE_AUTH_URL: upstream.baseUrl,
    BOXOFFICE_TICKET_URL: upstream.baseUrl,
    BOXOFFICE_SMTP_URL: smtpUrl,
    BOXOFFICE_NOTIFICATION_POLL_MS: "50",
    BOXOFFICE_NOTIFICATION_RETRY_BASE_MS: "100",
    BOXOFFICE_NOTIFICATION_RETRY_MAX_MS: "1000",
    BOXOFFICE_SMTP_TIMEOUT_MS: "5000",
    BOXOFFICE_NOTIFICATION_LINK_BASE_URL: "https://shop.boxoffice.test",
    ...extra,
  });
}

/** The notification service in a process of this test (migrated first). */
export async function startNotifier(
  env: Record<string, string>,
): Promise<RunningProcess & { adminUrl: string; baseUrl: string }> {
  await migrateServices([notificationModule], env);
  const proc = await startProcess({ modules: [notificationModule], env });
  return Object.assign(proc, {
    baseUrl: `http://127.0.0.1:${proc.server.port}`,
    adminUrl: `http://127.0.0.1:${proc.server.adminPort}`,
  });
}

const program = fileURLToPath(new URL("../../bin/boxoffice", import.meta.url));

/** `bin/boxoffice serve --services=notification` as a child process, resolved once it serves. */
export async function startNotifierChild(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; exited: Promise<number | null> }> {
  await migrateServices([notificationModule], env);
  const child = spawn(program, ["serve", "--services=notification"], {
    // bin/boxoffice runs `node` from PATH: this one
    env: {
      ...process.env,
      ...env,
      BOXOFFICE_LOG_LEVEL: "info",
      PATH: `${dirname(process.execPath)}:${process.env.PATH}`,
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = once(child, "exit").then(([code]) => code as number | null);
  const serving = new Promise<void>((resolve) =>
    // keep reading every line: a full pipe would stall the child
    createInterface({ input: child.stdout! }).on("line", (l) => l.includes('"msg":"serving"') && resolve()),
  );
  await Promise.race([serving, exited.then((c) => assert.fail(`notification child exited (${c}) before serving`))]);
  return { child, exited };
}

/** A plausible event, as ticket's events carry it. */
export function eventSummary(o: Partial<{ name: string; startMs: number; timeZone: string }> = {}): EventSummary {
  const start = o.startMs ?? Date.UTC(2031, 5, 20, 18, 30);
  return create(EventSummarySchema, {
    eventId: randomUUID(),
    name: o.name ?? "Summer Nights",
    startTime: timestampFromMs(start),
    endTime: timestampFromMs(start + 3 * 3600_000),
    timeZone: o.timeZone ?? "Europe/Berlin",
    venueName: "Waldbühne",
    venueCity: "Berlin",
  });
}

/** A header of a stored message (first occurrence, unfolded), "" when absent. */
export function header(m: StoredMail, name: string): string {
  const head = m.raw.toString("utf8").split(/\r?\n\r?\n/, 1)[0] ?? "";
  const re = new RegExp(`^${name}:[ \\t]*(.*(?:\\r?\\n[ \\t].*)*)`, "im");
  return (
    re
      .exec(head)?.[1]
      ?.replace(/\r?\n[ \t]+/g, " ")
      .trim() ?? ""
  );
}

/** The sink's mail, optionally of one kind (X-Boxoffice-Kind). */
export function mailOf(dir: string, kind?: string): StoredMail[] {
  const all = listMail(dir);
  return kind === undefined ? all : all.filter((m) => header(m, "X-Boxoffice-Kind") === kind);
}

/** How many notifications of `<prefix>_notification` match `where` (cheap enough to poll). */
export async function countRows(prefix: string, where: string, params: unknown[] = []): Promise<number> {
  const c = await rawConnection(`${prefix}_notification`);
  try {
    const [rows] = await c.query(`SELECT COUNT(*) AS n FROM notifications WHERE ${where}`, params);
    return Number((rows as Array<{ n: number }>)[0]?.n);
  } finally {
    await c.end();
  }
}

/** Rows of `<prefix>_notification` (for assertions under the API). */
export async function notificationRows(
  prefix: string,
  where = "1=1",
  params: unknown[] = [],
): Promise<Array<Record<string, unknown>>> {
  const c = await rawConnection(`${prefix}_notification`);
  try {
    const [rows] = await c.query(`SELECT * FROM notifications WHERE ${where} ORDER BY create_time, id`, params);
    return rows as Array<Record<string, unknown>>;
  } finally {
    await c.end();
  }
}

/** Sum of a metric's samples on a process's /metrics whose labels include `labels`. */
export async function scrape(adminUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split("\n")) {
    const m = /^([a-z_]+)(?:\{(.*)\})? ([-+0-9.eE]+|NaN)$/.exec(line);
    if (m?.[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? "").matchAll(/([a-z_]+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

/**
 * Everything a notification suite runs on, under one prefix: its own SMTP sink, the upstream
 * (auth + ticket stand-in), the producers' streams, and one notification process.
 */
export class NotificationStack {
  readonly prefix = testPrefix();
  readonly cfg = newUsersConfig();
  readonly tickets = new FakeTickets();
  readonly feed = new EventFeed(this.prefix);
  readonly dir = mkdtempSync(join(tmpdir(), "boxoffice-notification-"));
  sink!: SmtpSink;
  upstream!: Upstream;
  notifier!: Awaited<ReturnType<typeof startNotifier>>;

  /** Starts the sink, the upstream and the streams; and one notification process unless `notifier` is false. */
  async start(extraEnv: Record<string, string> = {}, o: { notifier?: boolean } = {}): Promise<void> {
    this.sink = await startSmtpSink({ dataDir: this.dir, log: () => {} });
    await this.feed.open(infraUrls().natsUrl);
    this.upstream = await startUpstream(this.prefix, this.cfg, this.tickets);
    if (o.notifier !== false) this.notifier = await startNotifier(this.env(extraEnv));
  }

  env(extra: Record<string, string> = {}): Record<string, string> {
    return notifierEnv(this.prefix, this.upstream, this.cfg, this.sink.url, extra);
  }

  mail(kind?: string, to?: string): StoredMail[] {
    return mailOf(this.sink.mailDir, kind).filter((m) => to === undefined || m.deliveredTo.includes(to));
  }

  /** Nothing left to send: no PENDING notification. */
  async idle(): Promise<void> {
    await until(
      "no pending notification",
      async () => (await notificationRows(this.prefix, "state = 'PENDING'")).length === 0,
    );
  }

  async stop(): Promise<void> {
    await this.notifier?.stop();
    await this.upstream?.proc.stop();
    await this.feed.close().catch(() => undefined);
    await this.sink?.stop();
    await dropPrefix(this.prefix);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
