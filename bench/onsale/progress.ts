/**
 * The progress line while buyers run: a bar on a terminal (redrawn in place), a plain line every
 * few seconds otherwise (CI logs).
 */
import type { Live } from "./buyer.js";

export function startProgress(label: string, total: number, live: Live, extra: () => string = () => ""): () => void {
  const tty = process.stderr.isTTY === true;
  const t0 = Date.now();
  const draw = (final = false) => {
    const width = 28;
    const done = Math.min(width, Math.round((live.done / Math.max(1, total)) * width));
    const line =
      `${label} [${"#".repeat(done)}${"-".repeat(width - done)}] ${live.done}/${total} done · ` +
      `${live.held} held · ${live.confirmed} confirmed · ${live.arrived - live.done} in flight` +
      ` (${live.checkingOut} checking out) · ${((Date.now() - t0) / 1000).toFixed(1)} s${extra()}`;
    if (tty) process.stderr.write(`\r\x1b[2K${line}${final ? "\n" : ""}`);
    else process.stderr.write(`${line}\n`);
  };
  const timer = setInterval(draw, tty ? 250 : 3_000);
  timer.unref();
  return () => {
    clearInterval(timer);
    draw(true);
  };
}
