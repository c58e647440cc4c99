import type { RunningProcess } from "./index.js";

/**
 * Runs until SIGTERM or SIGINT, then drains gracefully and resolves the exit code: 0 after a clean
 * drain, 1 when the grace period ran out or shutdown failed, 130 on a second signal.
 */
export function serveUntilSignal(proc: RunningProcess): Promise<number> {
  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        proc.logger.warn({ signal }, "second signal: exiting now");
        resolve(130);
        return;
      }
      stopping = true;
      proc.logger.info({ signal }, "shutting down");
      proc.stop().then(
        ({ clean }) => resolve(clean ? 0 : 1),
        (err: unknown) => {
          proc.logger.error({ err }, "shutdown failed");
          resolve(1);
        },
      );
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
}
