// The recipient directory over auth's GetUser, against an in-memory Connect transport (no sockets).
import assert from "node:assert/strict";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { AuthInternalService } from "../../../gen/boxoffice/auth/v1/auth_internal_service_pb.js";
import { ManualClock } from "../../../platform/clock/index.js";
import { userDirectory } from "./users.js";

function auth(answers: Record<string, "ok" | "missing" | "down">) {
  const calls: string[] = [];
  const transport = createRouterTransport(({ service }) =>
    service(AuthInternalService, {
      async getUser(req) {
        calls.push(req.userId);
        await new Promise((r) => setTimeout(r, 5));
        const a = answers[req.userId];
        if (a === "missing") throw new ConnectError("no such user", Code.NotFound);
        if (a === "down") throw new ConnectError("auth is restarting", Code.Unavailable);
        return { user: { id: req.userId, email: `${req.userId}@example.com`, displayName: `User ${req.userId}` } };
      },
      issueServiceToken: () => ({}),
    }),
  );
  return { client: createClient(AuthInternalService, transport), calls };
}

describe("notification's recipient directory (GetUser, cached briefly)", () => {
  it("asks auth once per user while the answer is fresh; concurrent asks share the call; asks again after the TTL", async () => {
    const clock = new ManualClock(Date.UTC(2030, 0, 1));
    const a = auth({ u1: "ok" });
    const users = userDirectory(a.client, { clock, ttlMs: 60_000 });
    const [x, y] = await Promise.all([users.recipient("u1"), users.recipient("u1")]);
    assert.deepEqual(x, { address: "u1@example.com", name: "User u1" });
    assert.deepEqual(y, x);
    await users.recipient("u1");
    assert.equal(a.calls.length, 1);
    clock.advance(60_001);
    await users.recipient("u1");
    assert.equal(a.calls.length, 2);
  });

  it("a user auth does not know is null (a permanent failure for the sender); errors are thrown and not kept", async () => {
    const clock = new ManualClock(Date.UTC(2030, 0, 1));
    const answers: Record<string, "ok" | "missing" | "down"> = { gone: "missing", flaky: "down" };
    const a = auth(answers);
    const users = userDirectory(a.client, { clock, ttlMs: 60_000 });
    assert.equal(await users.recipient("gone"), null);
    await assert.rejects(users.recipient("flaky"), (e) => ConnectError.from(e).code === Code.Unavailable);
    answers.flaky = "ok";
    assert.equal((await users.recipient("flaky"))?.address, "flaky@example.com", "the failure was not cached");
  });

  it("stays bounded: past maxEntries the oldest answers are dropped", async () => {
    const clock = new ManualClock(Date.UTC(2030, 0, 1));
    const a = auth({});
    const users = userDirectory(a.client, { clock, ttlMs: 60_000, maxEntries: 10 });
    for (let i = 0; i < 25; i++) await users.recipient(`n${i}`);
    await users.recipient("n24");
    assert.equal(a.calls.length, 25, "a recent answer is still cached");
    await users.recipient("n0");
    assert.equal(a.calls.length, 26, "the oldest was dropped");
  });
});
