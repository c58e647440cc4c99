/**
 * Injecting one fault into a running split-mode stack and measuring how long it takes to heal:
 * a SIGKILLed process or server is restarted after its down time; the sandbox provider's latency
 * or failure rate is set through PaymentService.SetSandboxFaults (ROLE_ADMIN) and reset after it.
 * Healed = a canary buyer who starts right at the injection has a CONFIRMED order and its
 * confirmation email has been sent: the whole path works again, end to end.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { createConnection } from "mysql2/promise";
import { type Live, runBuyer } from "../../bench/onsale/buyer.js";
import { as, type OnsaleClients } from "../../bench/onsale/clients.js";
import type { OnsaleEvent } from "../../bench/onsale/event-setup.js";
import { TABLES } from "../../bench/onsale/invariants.js";
import { prng } from "../../bench/onsale/random.js";
import type { Recorder } from "../../bench/onsale/record.js";
import type { Stack } from "../../bench/onsale/stack.js";
import type { SeededUser } from "../../cmd/seed-users.js";
import { sleep } from "../../platform/clock/index.js";
import { infraNames } from "../../platform/config/names.js";
import { type Fault, faultName } from "./schedule.js";

export interface FaultOutcome {
  name: string;
  /** Wall-clock ms of the injection. */
  atMs: number;
  /** Checkouts in progress (started, not final) when it was injected. */
  checkoutsInFlight: number;
  /** How long it waited at its moment for `minInFlight` checkouts in progress. */
  aimWaitMs: number;
  /** From the injection to the restart or reset. */
  downMs: number;
  /** From the injection to a canary's confirmed and emailed order; undefined if it never healed. */
  healMs?: number;
  healError?: string;
}

/** Kills (or degrades) what `fault` names, waits `downMs`, and brings it back. */
export async function inject(
  stack: Stack,
  fault: Fault,
  downMs: number,
  payments: OnsaleClients["payments"],
  adminToken: string,
): Promise<void> {
  switch (fault.kind) {
    case "kill-service": {
      const proc = stack.procOf(fault.service);
      await proc.kill();
      await sleep(downMs);
      await proc.start();
      return;
    }
    case "kill-server": {
      const server = stack.server(fault.server);
      await server.kill();
      await sleep(downMs);
      await server.restart();
      return;
    }
    case "payment-slow":
    case "payment-failing": {
      const on = fault.kind === "payment-slow" ? { latencyMs: fault.latencyMs } : { failureRate: fault.failureRate };
      await setFaults(payments, adminToken, on);
      await sleep(downMs);
      await setFaults(payments, adminToken, { latencyMs: 0, failureRate: 0, lostAnswerRate: 0 });
      return;
    }
  }
}

/**
 * SetSandboxFaults, retried while the payment process is unreachable, and while it cannot check
 * the admin's token because auth is down too (a payment process restarted during auth's outage has
 * no signing keys yet: UNAVAILABLE with reason JWKS_UNAVAILABLE, "retry later").
 */
async function setFaults(
  payments: OnsaleClients["payments"],
  token: string,
  f: { latencyMs?: number; failureRate?: number; lostAnswerRate?: number },
): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await payments.setSandboxFaults(f, as(token, 5_000));
      return;
    } catch (e) {
      const err = ConnectError.from(e);
      if (err.code !== Code.Unavailable || Date.now() > deadline) throw err;
      await sleep(200);
    }
  }
}

/**
 * Canary purchases (one standing place, sandbox_ok), a new one started every `everyMs` from the
 * injection, until one is CONFIRMED and its ORDER_CONFIRMED notification is SENT: the time that
 * took is the heal time — when a new buyer gets through end to end again. Attempts caught by the
 * fault go on in the background (their orders settle like any buyer's and count in the
 * invariants); `settled` resolves when they have all ended.
 */
export function healTime(o: {
  stack: Stack;
  clients: OnsaleClients;
  event: OnsaleEvent;
  /** Used in turn (a buyer holds one hold at a time, and at most the per-buyer cap in orders). */
  canaries: readonly SeededUser[];
  rec: Recorder;
  startMs: number;
  everyMs: number;
  timeoutMs: number;
}): { heal: Promise<{ healMs?: number; error?: string }>; settled: Promise<unknown> } {
  const deadline = o.startMs + o.timeoutMs;
  const live: Live = { arrived: 0, held: 0, checkingOut: 0, confirmed: 0, done: 0 };
  const attempts: Array<Promise<void>> = [];
  let last = "";
  let orderId: string | undefined;
  const attempt = async (n: number) => {
    const r = await runBuyer(
      -1 - n,
      { kind: "ga", quantity: 1, token: "sandbox_ok", abandon: "none" },
      {
        clients: o.clients,
        event: o.event,
        token: o.canaries[n % o.canaries.length]!.accessToken,
        rec: o.rec,
        random: prng(o.startMs + n),
        deadlineMs: deadline,
        live,
      },
    );
    if (r.final === "CONFIRMED") orderId ??= r.orderId;
    else last = `${r.final}${r.error ? `: ${r.error}` : ""}${r.failureReason ? ` (${r.failureReason})` : ""}`;
  };
  const heal = (async () => {
    for (let n = 0; orderId === undefined && Date.now() < deadline; n++) {
      attempts.push(attempt(n));
      const next = Date.now() + o.everyMs;
      while (orderId === undefined && Date.now() < next) await sleep(25);
    }
    if (orderId === undefined) return { error: `no canary order confirmed within ${o.timeoutMs} ms (last: ${last})` };
    if (!(await waitForEmail(o.stack, orderId, deadline)))
      return { error: `canary order ${orderId} confirmed, its email not sent within ${o.timeoutMs} ms` };
    return { healMs: Date.now() - o.startMs };
  })();
  return { heal, settled: heal.then(() => Promise.all(attempts)) };
}

async function waitForEmail(stack: Stack, orderId: string, deadline: number): Promise<boolean> {
  const table = `\`${infraNames(stack.prefix).database("notification")}\`.\`${TABLES.notification.notifications}\``;
  while (Date.now() < deadline) {
    try {
      const u = new URL(stack.infra.mariadbUrl);
      const conn = await createConnection({
        host: u.hostname,
        port: Number(u.port),
        user: "root",
        connectTimeout: 2_000,
      });
      try {
        const [rows] = await conn.query(`SELECT state FROM ${table} WHERE kind = 'ORDER_CONFIRMED' AND order_id = ?`, [
          orderId,
        ]);
        if ((rows as Array<{ state: string }>).some((r) => r.state === "SENT")) return true;
      } finally {
        await conn.end();
      }
    } catch {
      // MariaDB itself may be the fault being healed
    }
    await sleep(200);
  }
  return false;
}

export { faultName };
