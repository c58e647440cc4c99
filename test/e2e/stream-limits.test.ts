import assert from "node:assert/strict";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ServerReflection } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { sleep } from "../../platform/clock/index.js";
import { Health, ServingStatus } from "../../platform/health/index.js";
import { startTestProcess } from "../support/process.js";

/** Opens a Health.Watch stream and waits for its first answer; resolves with its closer. */
async function watch(transport: Transport): Promise<() => Promise<void>> {
  const ac = new AbortController();
  const it = createClient(Health, transport).watch({ service: "" }, { signal: ac.signal })[Symbol.asyncIterator]();
  const first = await it.next();
  assert.equal(first.value?.status, ServingStatus.SERVING);
  const rest = it.next().catch(() => undefined);
  return async () => {
    ac.abort();
    await rest;
  };
}

async function refused(p: Promise<unknown>): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ConnectError, String(e));
    assert.equal(e.code, Code.ResourceExhausted, e.message);
    return true;
  });
}

describe("health and reflection streams are capped", () => {
  let proc: Awaited<ReturnType<typeof startTestProcess>>;
  before(async () => {
    proc = await startTestProcess({
      env: { BOXOFFICE_MAX_CONTROL_STREAMS: "5", BOXOFFICE_MAX_CONTROL_STREAMS_PER_CONNECTION: "3" },
    });
  });
  after(() => proc.stop());

  it("refuses a stream beyond the per-connection and the total limit with RESOURCE_EXHAUSTED", async () => {
    const a = createGrpcTransport({ baseUrl: proc.baseUrl });
    const b = createGrpcTransport({ baseUrl: proc.baseUrl });
    const c = createGrpcTransport({ baseUrl: proc.baseUrl });
    const onA = [await watch(a), await watch(a), await watch(a)];
    await refused(watch(a));
    // reflection counts too
    const reflect = createClient(ServerReflection, a).serverReflectionInfo(
      (async function* () {
        yield { messageRequest: { case: "listServices", value: "" } };
      })(),
    );
    await refused(reflect[Symbol.asyncIterator]().next());
    // another connection may open its own, up to the total of 5
    const onB = [await watch(b), await watch(b)];
    await refused(watch(c));
    // unary health checks are never refused
    assert.equal((await createClient(Health, c).check({})).status, ServingStatus.SERVING);
    // a closed stream frees its place
    await onA[0]!();
    await sleep(100);
    const onC = await watch(c);
    for (const close of [...onA.slice(1), ...onB, onC]) await close();
  });
});
