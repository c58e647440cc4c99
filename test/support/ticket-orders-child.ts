/**
 * The ticket service's order half in a process of its own (the test ticket module of
 * orders-kit.ts; once the inventory half is wired this is `boxoffice serve --services=ticket`),
 * configured by its environment like `boxoffice serve`; drains on SIGTERM, dies on SIGKILL.
 */
import { startProcess } from "../../platform/app/index.js";
import { serveUntilSignal } from "../../platform/app/signals.js";
import { ordersTestModule } from "./orders-kit.js";

const proc = await startProcess({ modules: [ordersTestModule] });
process.stdout.write(`READY ${JSON.stringify({ port: proc.server.port })}\n`);
process.exit(await serveUntilSignal(proc));
