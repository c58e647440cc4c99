/**
 * The slower on-sale paths, measured with the in-process Node client (bench/load.ts: fast enough
 * at these rates): token verification on its own, Login (argon2id by design), GetMe (a verified
 * token and one row), the first reads of many events (cache misses) and the cache hit ratio.
 */
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { AuthService } from "../gen/boxoffice/auth/v1/auth_service_pb.js";
import { EventService } from "../gen/boxoffice/event/v1/event_service_pb.js";
import { measure, measureEach, row } from "./load.js";
import type { BenchData } from "./setup.js";
import { benchVerify } from "./support/verify-bench.js";

export async function platformScenarios(
  baseUrl: string,
  adminUrl: string,
  d: BenchData,
  o: { seconds: number; concurrency: number; smoke: boolean; emptyRpcPerSec: number },
): Promise<{ lines: string[]; errors: number }> {
  const transport = createGrpcTransport({ baseUrl });
  const auth = createClient(AuthService, transport);
  const events = createClient(EventService, transport);
  const lines: string[] = [];
  const verify = await benchVerify(o.smoke ? 500 : 20_000);
  const times = (x: number) => `${(x / o.emptyRpcPerSec).toFixed(1)}× our empty RPC`;
  lines.push(
    `${"token verification, uncached (jose EdDSA)".padEnd(44)} ${verify.uncachedPerSec.toFixed(0).padStart(8)}/s   ${times(verify.uncachedPerSec)}`,
    `${"token verification, cached (per request)".padEnd(44)} ${verify.cachedPerSec.toFixed(0).padStart(8)}/s   ${times(verify.cachedPerSec)}`,
  );
  const ms = o.seconds * 1000;
  const logins = await measure(o.concurrency, ms, (w) => auth.login(d.users[w % d.users.length]!));
  lines.push(row("Login (argon2id m=19MiB t=2, refresh row)", logins));
  const asUser = { headers: { authorization: `Bearer ${d.userToken}` } };
  const getMe = await measure(o.concurrency, ms, () => auth.getMe({}, asUser));
  lines.push(row("GetMe (verified token + one user read)", getMe));
  const before = await cacheCounts(adminUrl);
  const cold = await measureEach(d.coldEventIds, o.concurrency, (id) => events.getEvent({ eventId: id }));
  lines.push(row(`GetEvent cold (first reads of ${d.coldEventIds.length} events)`, cold));
  const after = await cacheCounts(adminUrl);
  const ratio = (c: Record<string, number>) => {
    const total = Object.values(c).reduce((a, b) => a + b, 0);
    const hits = (c.hit_local ?? 0) + (c.hit_redis ?? 0) + (c.negative_hit ?? 0) + (c.stale ?? 0);
    return total === 0 ? 0 : hits / total;
  };
  const coldCounts = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]));
  lines.push(
    `${"event cache hit ratio".padEnd(44)} cold reads ${(ratio(coldCounts) * 100).toFixed(2)}%   whole run ${(ratio(after) * 100).toFixed(2)}%   (${Object.entries(
      after,
    )
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")})`,
  );
  return { lines, errors: logins.errors + getMe.errors + cold.errors };
}

/** The event cache's request counters by result, from the server's /metrics. */
async function cacheCounts(adminUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/cache_requests_total\{cache="event",result="(\w+)"\} (\d+)/g))
    out[m[1]!] = Number(m[2]);
  return out;
}

/**
 * Calls of one RPC that failed, from the server's /metrics: every code but ok and canceled (the
 * generator closes its connections at the end of a run, cancelling the calls then in flight).
 */
export async function failedCalls(adminUrl: string, service: string, method: string): Promise<number> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  let n = 0;
  const re = /^rpc_server_handled_total\{service="([^"]+)",method="([^"]+)",code="(\w+)"\} (\d+)/gm;
  for (const m of text.matchAll(re))
    if (m[1] === service && m[2] === method && m[3] !== "ok" && m[3] !== "canceled") n += Number(m[4]);
  return n;
}
