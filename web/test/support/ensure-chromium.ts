/**
 * `make chromium`: Debian's chromium for the browser tests, installed by the harness when missing
 * and running as root (a fresh CI machine), else a message naming the package. Run before mocha so a
 * slow first install is not cut short by a test timeout.
 */
import { ensureBinaries } from "../../../harness/install.js";

const bins = await ensureBinaries(["chromium"], { log: (line) => process.stderr.write(`${line}\n`) });
process.stderr.write(`chromium: ${bins.chromium}\n`);
