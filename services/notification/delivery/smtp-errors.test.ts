// Which SMTP errors are retried, which are final, which pause the channel.
import assert from "node:assert/strict";
import { classifySmtpError, redact } from "./smtp-errors.js";

const err = (props: Record<string, unknown>) => Object.assign(new Error(String(props.message ?? "x")), props);

describe("SMTP error classification", () => {
  it("4xx replies are temporary, 5xx permanent (503 and nodemailer's own verdict respected), 421 pauses", () => {
    const c = (responseCode: number, extra = {}) =>
      classifySmtpError(err({ code: "EMESSAGE", responseCode, ...extra }));
    assert.deepEqual([c(451).permanent, c(451).connection], [false, false]);
    assert.deepEqual([c(550).permanent, c(554).permanent], [true, true]);
    assert.equal(c(503).permanent, false);
    assert.equal(c(550, { permanent: false }).permanent, false);
    assert.deepEqual([c(421).permanent, c(421).connection], [false, true]);
    assert.equal(classifySmtpError(err({ code: "EENVELOPE", responseCode: 450 })).permanent, false);
  });

  it("no reply: refused, timed out, closed, DNS, TLS and auth are temporary and pause; a bad envelope is final", () => {
    for (const code of ["ESOCKET", "ECONNECTION", "ETIMEDOUT", "EDNS", "ETLS", "EAUTH"]) {
      const r = classifySmtpError(err({ code }));
      assert.deepEqual([r.permanent, r.connection], [false, true], code);
    }
    assert.equal(classifySmtpError(err({ code: "EENVELOPE", message: "No recipients defined" })).permanent, true);
    assert.equal(classifySmtpError("weird").permanent, false);
  });

  it("details never carry URL credentials", () => {
    assert.equal(
      redact("connect smtp://user:secret@relay.example:587 failed"),
      "connect smtp://***@relay.example:587 failed",
    );
    const r = classifySmtpError(err({ code: "EAUTH", message: "Invalid login for smtps://me:pw@host" }));
    assert.ok(!r.detail.includes("pw"));
  });
});
