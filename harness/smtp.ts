/**
 * The local SMTP sink: a node child process (harness/smtp-sink.ts) that accepts every message on
 * its own port and keeps it as an `.eml` file in a mail folder, and can be told to fail (see
 * harness/smtp-control.ts). Started, probed, killed and restarted like MariaDB/Redis/NATS.
 */

import { mkdirSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { createConnection } from "node:net";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type EmbeddedServer, launch, type StartServerOptions, stderrLog } from "./process.js";
import { type Fault, type SinkStatus, SmtpSinkControl } from "./smtp-control.js";

export { type Fault, type SinkStatus, SmtpSinkControl } from "./smtp-control.js";

/** A running sink: a server like the others, plus its mail folder and fault switch. */
export interface SmtpSink extends EmbeddedServer {
  /** where accepted messages land, one `.eml` each */
  readonly mailDir: string;
  /** the control API's base URL (a new port after restart()) */
  readonly controlUrl: string;
  status(): Promise<SinkStatus>;
  /** Fail from the next message on, as `fault` says. */
  fail(fault: Fault): Promise<SinkStatus>;
  /** Accept every message again. */
  reset(): Promise<SinkStatus>;
}

/** Options of {@link startSmtpSink}: those of every server, plus where the mail goes. */
export interface StartSmtpSinkOptions extends StartServerOptions {
  /** default `<dataDir>/mail` */
  mailDir?: string;
}

const entry = fileURLToPath(new URL("./smtp-sink.ts", import.meta.url));
// absolute, so the child (whose cwd is its data dir, possibly under /tmp) finds tsx
const tsx = import.meta.resolve("tsx");

/** Starts the sink on 127.0.0.1 (a free port unless `port`); the URL is `smtp://127.0.0.1:PORT`. */
export async function startSmtpSink(o: StartSmtpSinkOptions): Promise<SmtpSink> {
  const log = o.log ?? stderrLog;
  mkdirSync(o.dataDir, { recursive: true });
  const dir = realpathSync(resolve(o.dataDir));
  mkdirSync(o.mailDir ?? join(dir, "mail"), { recursive: true });
  const mailDir = realpathSync(resolve(o.mailDir ?? join(dir, "mail")));
  const infoFile = join(dir, "control.json");

  const server = await launch(
    {
      kind: "smtp",
      dataDir: dir,
      binary: process.execPath,
      logFile: join(dir, "smtp.log"),
      pidFile: join(dir, "smtp.pid"),
      args: (port) => ["--import", tsx, entry, "--port", String(port), "--data-dir", dir, "--mail-dir", mailDir],
      url: (port) => `smtp://127.0.0.1:${port}`,
      probe: (port, pid, signal) => probe(port, pid, infoFile, signal),
      readyTimeoutMs: o.readyTimeoutMs ?? 30_000,
      log,
    },
    o.port,
  );
  const control = () => new SmtpSinkControl(readInfo(infoFile).controlUrl);
  return {
    kind: "smtp",
    get url() {
      return server.url;
    },
    get port() {
      return server.port;
    },
    get pid() {
      return server.pid;
    },
    logFile: server.logFile,
    stop: () => server.stop(),
    kill: () => server.kill(),
    restart: () => server.restart(),
    mailDir,
    get controlUrl() {
      return readInfo(infoFile).controlUrl;
    },
    status: () => control().status(),
    fail: (fault: Fault) => control().fail(fault),
    reset: () => control().reset(),
  };
}

type Info = { pid: number; smtpPort: number; controlUrl: string };
const readInfo = (file: string): Info => JSON.parse(readFileSync(file, "utf8")) as Info;

async function probe(port: number, pid: number, infoFile: string, signal: AbortSignal): Promise<void> {
  const info = readInfo(infoFile); // written once both ports listen
  if (info.pid !== pid || info.smtpPort !== port) throw new Error("control.json is from another sink process");
  const greeting = await readGreeting(port, signal);
  if (!greeting.startsWith("220 ") || !greeting.includes(`pid ${pid}`))
    throw new Error(`another server answers on port ${port}: ${greeting.slice(0, 80)}`);
  const status = await new SmtpSinkControl(info.controlUrl).status();
  if (status.pid !== pid) throw new Error(`another process answers on ${info.controlUrl}`);
}

/** The first line an SMTP server sends. */
function readGreeting(port: number, signal: AbortSignal): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const sock = createConnection({ host: "127.0.0.1", port });
    let buf = "";
    const done = (err: unknown, line?: string) => {
      sock.destroy();
      signal.removeEventListener("abort", onAbort);
      if (line !== undefined) resolvePromise(line);
      else reject(err instanceof Error ? err : new Error(String(err)));
    };
    const onAbort = () => done(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    sock.setEncoding("utf8");
    sock.on("data", (chunk: string) => {
      buf += chunk;
      const eol = buf.indexOf("\r\n");
      if (eol >= 0) done(undefined, buf.slice(0, eol));
    });
    sock.on("error", (e) => done(e));
    sock.on("close", () => done(new Error("closed before the greeting")));
  });
}

/** One stored message, with the headers tests look at most (use mailparser for the rest). */
export interface StoredMail {
  /** absolute path of the .eml */
  file: string;
  /** Message-ID header, angle brackets included; "" when missing */
  messageId: string;
  /** envelope recipients (Delivered-To, added by the sink) */
  deliveredTo: string[];
  subject: string;
  raw: Buffer;
}

/** Every `.eml` in `mailDir`, oldest first (file names start with the time of acceptance). */
export function listMail(mailDir: string): StoredMail[] {
  let names: string[];
  try {
    names = readdirSync(mailDir).filter((n) => n.endsWith(".eml") && !n.startsWith("."));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  return names.sort().map((name) => {
    const file = join(mailDir, name);
    const raw = readFileSync(file);
    const headers = parseHeaders(raw);
    return {
      file,
      messageId: headers.find(([k]) => k === "message-id")?.[1] ?? "",
      deliveredTo: headers.filter(([k]) => k === "delivered-to").map(([, v]) => v),
      subject: headers.find(([k]) => k === "subject")?.[1] ?? "",
      raw,
    };
  });
}

/** The header block as [lower-case name, unfolded raw value] pairs (encoded words left as they are). */
function parseHeaders(raw: Buffer): Array<[string, string]> {
  const text = raw.toString("utf8");
  const end = text.search(/\r?\n\r?\n/);
  const lines = (end < 0 ? text : text.slice(0, end)).split(/\r?\n/);
  const out: Array<[string, string]> = [];
  for (const line of lines) {
    const last = out.at(-1);
    if (/^[ \t]/.test(line) && last) last[1] += ` ${line.trim()}`;
    else {
      const colon = line.indexOf(":");
      if (colon > 0) out.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
    }
  }
  return out;
}
