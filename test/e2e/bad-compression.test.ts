import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { startTestProcess } from "../support/process.js";
import { rawRequest } from "../support/raw-http.js";

const path = "/boxoffice.testing.v1.EchoService/Echo";
const json = Buffer.from(JSON.stringify({ message: "hello" }));
/** Bodies that do not decompress: random bytes, a gzip stream cut short, and bytes that are no brotli. */
const bad: readonly { name: string; encoding: "gzip" | "br"; body: Buffer }[] = [
  { name: "garbage as gzip", encoding: "gzip", body: Buffer.from("this is not gzip at all, not even close") },
  { name: "truncated gzip", encoding: "gzip", body: gzipSync(Buffer.alloc(4096, "a")).subarray(0, 12) },
  { name: "garbage as brotli", encoding: "br", body: Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00, 0x01, 0x02, 0x03]) },
];

describe("request bodies that fail to decompress", () => {
  let proc: Awaited<ReturnType<typeof startTestProcess>>;
  before(async () => {
    proc = await startTestProcess({});
  });
  after(() => proc.stop());

  for (const b of bad) {
    it(`answers INVALID_ARGUMENT over Connect for ${b.name}`, async () => {
      const res = await rawRequest(proc.baseUrl, {
        httpVersion: "1.1",
        path,
        headers: { "content-type": "application/json", "content-encoding": b.encoding },
        body: b.body,
      });
      assert.equal(res.status, 400, res.body.toString());
      assert.equal(JSON.parse(res.body.toString()).code, "invalid_argument");
    });

    it(`answers INVALID_ARGUMENT over gRPC for a compressed frame of ${b.name}`, async () => {
      const frame = Buffer.concat([Buffer.from([1, 0, 0, 0, 0]), b.body]);
      frame.writeUInt32BE(b.body.length, 1);
      const res = await rawRequest(proc.baseUrl, {
        httpVersion: "2",
        path,
        headers: { "content-type": "application/grpc", "grpc-encoding": b.encoding, te: "trailers" },
        body: frame,
      });
      const status = res.trailers["grpc-status"] ?? res.headers["grpc-status"];
      assert.equal(status, "3", JSON.stringify({ ...res.headers, ...res.trailers }));
    });
  }

  it("still decompresses a good gzip body", async () => {
    const res = await rawRequest(proc.baseUrl, {
      httpVersion: "1.1",
      path,
      headers: { "content-type": "application/json", "content-encoding": "gzip" },
      body: gzipSync(json),
    });
    assert.equal(res.status, 200, res.body.toString());
    assert.equal(JSON.parse(res.body.toString()).message, "hello");
  });
});
