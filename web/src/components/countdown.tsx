/**
 * Time left on a hold, as a visible "9:58" that screen readers do not hear every second; a polite
 * announcement at five minutes, one minute and expiry instead.
 */
import { useEffect, useState } from "preact/hooks";

const mmss = (ms: number) => {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
};

export function Countdown(props: { untilMs: number; onExpire?(): void }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  const left = props.untilMs - now;
  useEffect(() => {
    if (left <= 0) props.onExpire?.();
  }, [left <= 0]);
  const minutes = Math.ceil(left / 60_000);
  const say =
    left <= 0
      ? "Your hold has expired."
      : minutes === 5 || minutes === 1
        ? `${minutes} ${minutes === 1 ? "minute" : "minutes"} left on your hold.`
        : "";
  return (
    <>
      <span class="countdown" role="timer" aria-live="off" data-testid="countdown">
        {mmss(left)}
      </span>
      <span class="visually-hidden" aria-live="polite">
        {say}
      </span>
    </>
  );
}
