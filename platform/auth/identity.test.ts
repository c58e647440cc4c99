import assert from "node:assert/strict";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";
import { AuthInternalService } from "../../gen/boxoffice/auth/v1/auth_internal_service_pb.js";
import type { Clock } from "../clock/index.js";
import { ServiceIdentity } from "./identity.js";

/** ServiceIdentity against an in-memory auth whose IssueServiceToken can be made to fail. */
describe("ServiceIdentity (service tokens, no server)", () => {
  let now = 1_000_000;
  const clock: Clock = { now: () => now, date: () => new Date(now) };
  let down = false;
  let asked = 0;
  const transport = createRouterTransport(({ service }) => {
    service(AuthInternalService, {
      getUser: () => {
        throw new ConnectError("not here", Code.Unimplemented);
      },
      issueServiceToken: () => {
        asked++;
        if (down) throw new ConnectError("auth is restarting", Code.Unavailable);
        return { accessToken: `token-${asked}`, expireTime: timestampFromMs(now + 120_000), tokenType: "Bearer" };
      },
    });
  });
  const identity = () =>
    new ServiceIdentity({ service: "ticket", secret: "s".repeat(20), authUrl: "http://unused", clock, transport });

  beforeEach(() => {
    down = false;
    asked = 0;
  });

  it("a renewal that fails keeps using the still-valid token, asks again later, and fails only once it has expired", async () => {
    const id = identity();
    const first = await id.token();
    now += 70_000; // inside the renewal window (60 s before the 120 s expiry)
    down = true;
    assert.equal(await id.token(), first, "auth down: the held token, still valid, is used");
    assert.equal(id.failedRenewals, 1);
    assert.equal(await id.token(), first, "within the retry pause auth is not asked again");
    assert.equal(asked, 2, "one failed renewal so far");
    now += 1_500;
    assert.equal(await id.token(), first);
    assert.equal(asked, 3, "after the pause it tries again");
    down = false;
    now += 1_500;
    const renewed = await id.token();
    assert.notEqual(renewed, first, "auth back: renewed");
    down = true;
    now += 200_000; // past the renewed token's expiry
    await assert.rejects(id.token(), (e: unknown) => ConnectError.from(e).code === Code.Unavailable);
  });

  it("without any token, a failure is the caller's", async () => {
    down = true;
    await assert.rejects(identity().token(), (e: unknown) => ConnectError.from(e).code === Code.Unavailable);
  });

  it("concurrent callers share one renewal", async () => {
    const id = identity();
    const tokens = await Promise.all(Array.from({ length: 10 }, () => id.token()));
    assert.equal(new Set(tokens).size, 1);
    assert.equal(asked, 1);
  });
});
