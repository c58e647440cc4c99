import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Req, Res } from "./http.js";
import { respond } from "./http.js";
import { staticSite } from "./static.js";

/** A raw request (no URL normalisation by a client library, so `..` reaches the server as sent). */
function raw(port: number, method: string, path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method, path, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.once("error", reject);
    req.end();
  });
}

describe("platform/server/static: the dev-only storefront files on the RPC port", () => {
  let dir: string;
  let server: http.Server;
  let port: number;
  const next = (_req: Req, res: Res) => respond(res, 404, { "x-next": "yes" }, "rpc fallback");

  before(async () => {
    const parent = mkdtempSync(join(tmpdir(), "static-"));
    dir = join(parent, "dist");
    mkdirSync(join(dir, "assets"), { recursive: true });
    writeFileSync(join(dir, "index.html"), "<!doctype html><title>app</title>");
    writeFileSync(join(dir, "assets", "index-abc.js"), "console.log(1)");
    writeFileSync(join(dir, "assets", "index-abc.css"), "body{}");
    writeFileSync(join(dir, ".env"), "SECRET=1");
    writeFileSync(join(parent, "secret.txt"), "outside the root");
    const handler = staticSite(dir, next);
    server = http.createServer((req, res) => handler(req, res));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    await new Promise((r) => server.close(r));
    rmSync(join(dir, ".."), { recursive: true, force: true });
  });

  it("serves files with their content types; hashed assets are immutable, the page revalidates", async () => {
    const js = await raw(port, "GET", "/assets/index-abc.js");
    assert.equal(js.status, 200);
    assert.equal(js.headers["content-type"], "text/javascript; charset=utf-8");
    assert.match(String(js.headers["cache-control"]), /immutable/);
    assert.equal(js.headers["x-content-type-options"], "nosniff");
    assert.equal(js.body, "console.log(1)");
    assert.equal((await raw(port, "GET", "/assets/index-abc.css")).headers["content-type"], "text/css; charset=utf-8");
    const page = await raw(port, "GET", "/");
    assert.equal(page.status, 200);
    assert.equal(page.headers["content-type"], "text/html; charset=utf-8");
    assert.equal(page.headers["cache-control"], "no-cache");
  });

  it("answers HEAD without a body and If-None-Match with 304", async () => {
    const head = await raw(port, "HEAD", "/assets/index-abc.js");
    assert.equal(head.status, 200);
    assert.equal(head.headers["content-length"], "14");
    assert.equal(head.body, "");
    const again = await raw(port, "GET", "/assets/index-abc.js", { "if-none-match": String(head.headers.etag) });
    assert.equal(again.status, 304);
    assert.equal(again.body, "");
  });

  it("gives the app's own routes index.html (reload on /events/…), but a missing asset a 404", async () => {
    const route = await raw(port, "GET", "/events/0190e7a4-0000-7000-8000-000000000000?x=1");
    assert.equal(route.status, 200);
    assert.match(route.body, /<title>app<\/title>/);
    const missing = await raw(port, "GET", "/assets/gone-123.js");
    assert.equal(missing.status, 404);
    assert.equal(missing.headers["content-type"], "text/plain; charset=utf-8");
  });

  it("never leaves the root: parent paths, encoded separators and dotfiles are 404", async () => {
    for (const path of [
      "/../secret.txt",
      "/assets/../../secret.txt",
      "/%2e%2e/secret.txt",
      "/..%2fsecret.txt",
      "/assets%2f..%2f..%2fsecret.txt",
      "/..%5csecret.txt",
      "/.env",
      "/%2eenv",
      "/assets/%00.js",
      "/%E0%A4%A",
    ]) {
      const res = await raw(port, "GET", path);
      assert.equal(res.status, 404, path);
      assert.doesNotMatch(res.body, /outside the root|SECRET/, path);
    }
  });

  it("leaves RPC paths, other methods and gRPC requests to the RPC fallback", async () => {
    const rpc = await raw(port, "GET", "/boxoffice.event.v1.EventService/NoSuchMethod?message=%7B%7D");
    assert.equal(rpc.headers["x-next"], "yes");
    const post = await raw(port, "POST", "/");
    assert.equal(post.headers["x-next"], "yes");
    const grpc = await raw(port, "GET", "/index.html", { "content-type": "application/grpc-web+proto" });
    assert.equal(grpc.headers["x-next"], "yes");
  });
});
