import assert from "node:assert/strict";
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import {
  errorDomain,
  InvalidArgumentError,
  NotFoundError,
  ResourceExhaustedError,
  toConnectError,
} from "../../platform/rpc/errors.js";

describe("domain errors → Connect errors (one place)", () => {
  it("derives the ErrorInfo domain from the service name", () => {
    assert.equal(errorDomain("boxoffice.ticket.v1.TicketService"), "ticket.boxoffice");
    assert.equal(errorDomain("grpc.health.v1.Health"), "boxoffice");
  });

  it("INVALID_ARGUMENT carries ErrorInfo and BadRequest field violations", () => {
    const err = toConnectError(
      new InvalidArgumentError([
        {
          field: "event.price_tiers[0].price.amount_minor",
          description: "must not be negative",
          reason: "MUST_NOT_BE_NEGATIVE",
        },
        { field: "page_size", description: "must be >= 0" },
      ]),
      "event.boxoffice",
    );
    assert.equal(err.code, Code.InvalidArgument);
    assert.match(err.rawMessage, /event\.price_tiers\[0\]\.price\.amount_minor/);
    const [info] = err.findDetails(ErrorInfoSchema);
    assert.equal(info?.reason, "INVALID_ARGUMENT");
    assert.equal(info?.domain, "event.boxoffice");
    const [bad] = err.findDetails(BadRequestSchema);
    assert.deepEqual(
      bad?.fieldViolations.map((v) => [v.field, v.reason]),
      [
        ["event.price_tiers[0].price.amount_minor", "MUST_NOT_BE_NEGATIVE"],
        ["page_size", ""],
      ],
    );
  });

  it("NOT_FOUND names the resource; RESOURCE_EXHAUSTED carries RetryInfo", () => {
    const nf = toConnectError(new NotFoundError("event", "e-1"), "event.boxoffice");
    assert.equal(nf.code, Code.NotFound);
    assert.equal(nf.findDetails(ErrorInfoSchema)[0]?.metadata.event_id, "e-1");
    const re = toConnectError(
      new ResourceExhaustedError("LOGIN_THROTTLED", "too many attempts", 1500),
      "auth.boxoffice",
    );
    assert.equal(re.code, Code.ResourceExhausted);
    const [retry] = re.findDetails(RetryInfoSchema);
    assert.equal(Number(retry?.retryDelay?.seconds), 1);
    assert.equal(retry?.retryDelay?.nanos, 500_000_000);
  });

  it("passes ConnectErrors through and hides anything else behind INTERNAL", () => {
    const ce = new ConnectError("x", Code.Aborted);
    assert.equal(toConnectError(ce, "d"), ce);
    const hidden = toConnectError(new TypeError("secret detail: cannot read x of undefined"), "d");
    assert.equal(hidden.code, Code.Internal);
    assert.doesNotMatch(hidden.message, /secret detail/);
  });

  it("a write to a caller that has gone away is CANCELED, not INTERNAL (no bug to log)", () => {
    // what http2's compat layer throws when connect writes to a stream the client reset
    const gone = Object.assign(new Error("The stream has been destroyed"), { code: "ERR_HTTP2_INVALID_STREAM" });
    assert.equal(toConnectError(gone, "d").code, Code.Canceled);
    const reset = Object.assign(new Error("write EPIPE"), { code: "EPIPE" });
    assert.equal(toConnectError(reset, "d").code, Code.Canceled);
    const other = Object.assign(new Error("boom"), { code: "ERR_SOMETHING_ELSE" });
    assert.equal(toConnectError(other, "d").code, Code.Internal);
  });
});
