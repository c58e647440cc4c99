/**
 * The MariaDB outage test's kit (test/e2e/mariadb-outage.test.ts): a steady load that records every
 * call, and what it reads from the stack the test started — consumer metrics, the outbox and the
 * notification queue, the consumers' failure tables — plus the redelivery of events during the
 * outage.
 */

import { randomUUID } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { headers } from "@nats-io/transport-node";
import { createConnection } from "mysql2/promise";
import { parsePrometheus, type Sample, sum } from "../../bench/onsale/prom.js";
import type { Stack } from "../../bench/onsale/stack.js";
import { connectNats } from "../../platform/bus/nats.js";
import { sleep } from "../../platform/clock/index.js";
import { infraNames } from "../../platform/config/names.js";

/** One call of the load: which operation, when it started, how long it took, its code ("OK" or the gRPC code's name). */
export interface Call {
  op: Op;
  start: number;
  ms: number;
  code: string;
}
export type Op = "GetEvent" | "GetAvailability" | "UpdateEvent" | "HoldSeats" | "Register";
export const reads: readonly Op[] = ["GetEvent", "GetAvailability"];
export const writes: readonly Op[] = ["UpdateEvent", "HoldSeats", "Register"];

/** Calls `fn` every `periodMs` without waiting for the previous call (a slow call does not slow the rate). */
export function steady(op: Op, periodMs: number, calls: Call[], fn: () => Promise<unknown>): () => Promise<void> {
  let stopped = false;
  const pending = new Set<Promise<void>>();
  const loop = (async () => {
    while (!stopped) {
      const start = Date.now();
      const p = fn().then(
        () => void calls.push({ op, start, ms: Date.now() - start, code: "OK" }),
        (e: unknown) => void calls.push({ op, start, ms: Date.now() - start, code: Code[ConnectError.from(e).code] }),
      );
      pending.add(p);
      void p.finally(() => pending.delete(p));
      await sleep(periodMs);
    }
  })();
  return async () => {
    stopped = true;
    await loop;
    await Promise.all(pending);
  };
}

export const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
export const codes = (cs: readonly Call[]) => {
  const m: Record<string, number> = {};
  for (const c of cs) m[c.code] = (m[c.code] ?? 0) + 1;
  return m;
};

/** bus_consumer_handled_total of `outcome`, over every consumer. */
export async function handled(stack: Stack, outcome: string): Promise<number> {
  return sum(parsePrometheus(await (await fetch(stack.metricsUrls()[0]!)).text()), "bus_consumer_handled_total", {
    outcome,
  });
}

/** Publishes the last message of each (service, event) subject again under a new message id; how many. */
export async function redeliver(stack: Stack, which: Array<[string, string]>): Promise<number> {
  const names = infraNames(stack.prefix);
  const nc = await connectNats(stack.infra.natsUrl, "outage-test");
  try {
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    for (const [service, event] of which) {
      const subject = names.subject(service, event);
      const m = await jsm.streams.getMessage(names.stream(service), { last_by_subj: subject });
      if (m === null) throw new Error(`nothing published on ${subject}`);
      const h = headers();
      for (const [k, vs] of m.header) if (k !== "Nats-Msg-Id") for (const v of vs) h.append(k, v);
      await js.publish(subject, m.data, { headers: h, msgID: randomUUID() });
    }
    return which.length;
  } finally {
    await nc.close();
  }
}

/** Waits until the outbox is empty and every registered account has its welcome email sent. */
export async function settled(
  stack: Stack,
  registered: number,
  timeoutMs: number,
): Promise<{ ms: number; backlog: number; welcome: number; pending: number }> {
  const t0 = Date.now();
  const table = `\`${infraNames(stack.prefix).database("notification")}\`.notifications`;
  const conn = await mysql(stack);
  try {
    for (;;) {
      const samples: Sample[] = parsePrometheus(await (await fetch(stack.metricsUrls()[0]!)).text());
      const backlog = sum(samples, "bus_outbox_backlog");
      const [rows] = await conn.query(
        `SELECT SUM(state = 'PENDING') AS pending, SUM(kind = 'WELCOME' AND state = 'SENT') AS welcome FROM ${table}`,
      );
      const r = (rows as Array<{ pending: unknown; welcome: unknown }>)[0];
      const out = { ms: Date.now() - t0, backlog, welcome: Number(r?.welcome ?? 0), pending: Number(r?.pending ?? 0) };
      if (backlog === 0 && out.pending === 0 && out.welcome >= registered) return out;
      if (out.ms > timeoutMs) {
        const [left] = await conn.query(
          `SELECT n.kind, n.attempts, n.next_attempt_time, n.last_error, d.attempt, d.outcome, d.detail, d.start_time, d.end_time FROM ${table} n LEFT JOIN \`${infraNames(stack.prefix).database("notification")}\`.deliveries d ON d.notification_id = n.id WHERE n.state = 'PENDING'`,
        );
        process.stderr.write(`      still pending at ${new Date().toISOString()}: ${JSON.stringify(left)}\n`);
        return out;
      }
      await sleep(250);
    }
  } finally {
    await conn.end();
  }
}

/** Rows of consumer_failures (the counted, non-infrastructure handler failures) in every consuming database. */
export async function consumerFailures(stack: Stack): Promise<number> {
  const conn = await mysql(stack);
  try {
    let n = 0;
    for (const svc of ["ticket", "notification"]) {
      const [rows] = await conn.query(
        `SELECT COUNT(*) AS n FROM \`${infraNames(stack.prefix).database(svc)}\`.consumer_failures`,
      );
      n += Number((rows as Array<{ n: unknown }>)[0]?.n ?? 0);
    }
    return n;
  } finally {
    await conn.end();
  }
}

function mysql(stack: Stack) {
  const u = new URL(stack.infra.mariadbUrl);
  return createConnection({ host: u.hostname, port: Number(u.port), user: "root" });
}
