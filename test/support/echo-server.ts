/**
 * A child-process server for tests that send signals: every service plus the echo service, on free
 * ports; prints `READY {"port":…,"adminPort":…}` on stdout once serving (other lines are logs), and drains on SIGTERM like
 * `boxoffice serve`.
 */
import { serveUntilSignal } from "../../platform/app/signals.js";
import { startTestProcess } from "./process.js";

const env: Record<string, string> = {};
for (const [k, v] of Object.entries(process.env)) if (k.startsWith("BOXOFFICE_") && v !== undefined) env[k] = v;
const proc = await startTestProcess({ env });
process.stdout.write(`READY ${JSON.stringify({ port: proc.server.port, adminPort: proc.server.adminPort })}\n`);
process.exit(await serveUntilSignal(proc));
