/**
 * The SMTP sink's own process (started by harness/smtp.ts, never imported): an `smtp-server` that
 * accepts every message on 127.0.0.1 and stores it as an `.eml` file, plus a small HTTP control
 * port that tells it to fail the next messages (or all of them until reset). Runs as a child
 * process so it survives like the other servers: the harness can SIGKILL it (connection refused)
 * and restart it on the same port, and it dies with the harness.
 *
 * usage: node --import tsx harness/smtp-sink.ts --port N --data-dir DIR --mail-dir DIR
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from "smtp-server";
import { type Fault, faultSchema, type SinkStatus } from "./smtp-control.js";

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    "data-dir": { type: "string" },
    "mail-dir": { type: "string" },
  },
});
const port = Number(values.port);
const dataDir = values["data-dir"];
const mailDir = values["mail-dir"];
if (!Number.isInteger(port) || !dataDir || !mailDir) {
  process.stderr.write("usage: smtp-sink --port N --data-dir DIR --mail-dir DIR\n");
  process.exit(2);
}
mkdirSync(mailDir, { recursive: true });

let fault: (Fault & { remaining: number | null }) | null = null;
let accepted = 0;
let rejected = 0;
let seq = 0;

/** The fault that applies to the message now ending its DATA, if any (and uses one up). */
function takeFault(): Fault | null {
  if (fault === null) return null;
  const f = fault;
  if (f.remaining !== null) {
    f.remaining -= 1;
    if (f.remaining <= 0) fault = null;
  }
  return f;
}

/** Atomic: readers listing the folder never see a half-written file. */
function store(raw: Buffer, session: SMTPServerSession): string {
  seq += 1;
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(".", "");
  const name = `${stamp}-${String(seq).padStart(6, "0")}-${randomBytes(3).toString("hex")}.eml`;
  // what a delivering MTA adds: who the envelope was from and for (may differ from the headers)
  const from = session.envelope.mailFrom === false ? "" : session.envelope.mailFrom.address;
  const trace = [
    `Return-Path: <${from}>`,
    ...session.envelope.rcptTo.map((r) => `Delivered-To: ${r.address}`),
    "",
  ].join("\r\n");
  const tmp = join(mailDir!, `.${name}.tmp`);
  writeFileSync(tmp, Buffer.concat([Buffer.from(trace), raw]));
  renameSync(tmp, join(mailDir!, name));
  return name;
}

function onData(stream: SMTPServerDataStream, session: SMTPServerSession, done: (err?: Error | null) => void): void {
  const chunks: Buffer[] = [];
  stream.on("data", (c: Buffer) => chunks.push(c));
  stream.on("end", () => {
    const f = takeFault();
    if (f !== null) {
      rejected += 1;
      const to = session.envelope.rcptTo.map((r) => r.address).join(", ");
      if (f.mode === "timeout") {
        // never answer: the client's socket timeout is what ends this
        process.stdout.write(`holding the answer for a message to ${to} (fault: timeout)\n`);
        return;
      }
      const code = f.code ?? (f.mode === "temporary" ? 451 : 554);
      process.stdout.write(`rejected a message to ${to} with ${code} (fault: ${f.mode})\n`);
      done(Object.assign(new Error(f.message ?? `the sink was told to fail (${f.mode})`), { responseCode: code }));
      return;
    }
    if (stream.sizeExceeded) {
      done(Object.assign(new Error("message too large"), { responseCode: 552 }));
      return;
    }
    const name = store(Buffer.concat(chunks), session);
    accepted += 1;
    process.stdout.write(`accepted ${name}\n`);
    done(null);
  });
}

const smtp = new SMTPServer({
  // the greeting names this process, so the harness's probe can tell it from another server on the port
  name: "boxoffice-smtp-sink",
  banner: `pid ${process.pid}`,
  authOptional: true,
  // no certificate here: advertising STARTTLS would make clients try (and fail) to upgrade
  disabledCommands: ["STARTTLS"],
  onAuth: (_auth, _session, cb) => cb(null, { user: "sink" }),
  size: 25 * 1024 * 1024,
  logger: false,
  closeTimeout: 1000,
  onData,
});

function status(): SinkStatus {
  return {
    pid: process.pid,
    smtpPort: port,
    mailDir: mailDir!,
    accepted,
    rejected,
    fault: fault === null ? null : { ...fault },
  };
}

function answer(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { "content-type": "application/json" });
  res.end(`${JSON.stringify(body)}\n`);
}

async function readBody(req: IncomingMessage): Promise<string> {
  let body = "";
  for await (const chunk of req) body += String(chunk);
  return body;
}

const control = createHttpServer((req, res) => {
  void (async () => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (path === "/status" && req.method === "GET") return answer(res, 200, status());
    if (path === "/fault" && (req.method === "PUT" || req.method === "POST")) {
      let parsed: unknown;
      try {
        parsed = JSON.parse((await readBody(req)) || "{}");
      } catch {
        return answer(res, 400, { error: "body must be JSON" });
      }
      const f = faultSchema.safeParse(parsed);
      if (!f.success) return answer(res, 400, { error: f.error.message });
      fault = { ...f.data, remaining: f.data.count ?? null };
      process.stdout.write(`fault set: ${JSON.stringify(fault)}\n`);
      return answer(res, 200, status());
    }
    if (path === "/fault" && req.method === "DELETE") {
      fault = null;
      process.stdout.write("fault cleared\n");
      return answer(res, 200, status());
    }
    return answer(res, 404, { error: "GET /status, PUT /fault {mode,count?,code?,message?}, DELETE /fault" });
  })().catch((e: unknown) => answer(res, 500, { error: String(e) }));
});

smtp.on("error", (e) => process.stderr.write(`smtp: ${e.message}\n`));
smtp.server.once("error", (e: Error) => {
  // EADDRINUSE lands in the log, where the harness looks for it to retry on another port
  process.stderr.write(`listen failed: ${e.message}\n`);
  process.exit(1);
});
smtp.listen(port, "127.0.0.1", () => {
  control.listen(0, "127.0.0.1", () => {
    const addr = control.address();
    const controlPort = typeof addr === "object" && addr ? addr.port : 0;
    const info = { pid: process.pid, smtpPort: port, controlUrl: `http://127.0.0.1:${controlPort}`, mailDir };
    const tmp = join(dataDir, ".control.json.tmp");
    writeFileSync(tmp, JSON.stringify(info));
    renameSync(tmp, join(dataDir, "control.json"));
    writeFileSync(join(dataDir, "smtp.pid"), String(process.pid));
    process.stdout.write(`listening: smtp 127.0.0.1:${port}, control ${info.controlUrl}, mail in ${mailDir}\n`);
  });
});

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    control.close();
    smtp.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  });
}
