/** Loading a page's data: one call, its problem, a reload, and an abort when the page goes away. */
import { useCallback, useEffect, useState } from "preact/hooks";
import { type Problem, problemOf } from "../api/errors.js";

export interface CallState<T> {
  readonly data: T | undefined;
  readonly problem: Problem | undefined;
  readonly loading: boolean;
  reload(): void;
  /** Replaces the data locally (after a write answered with the new value). */
  set(data: T): void;
}

export function useCall<T>(fn: (signal: AbortSignal) => Promise<T>, deps: readonly unknown[]): CallState<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [round, setRound] = useState(0);
  useEffect(() => {
    const ctl = new AbortController();
    setLoading(true);
    setProblem(undefined);
    fn(ctl.signal).then(
      (d) => {
        if (ctl.signal.aborted) return;
        setData(d);
        setLoading(false);
      },
      (e: unknown) => {
        if (ctl.signal.aborted) return;
        setProblem(problemOf(e));
        setLoading(false);
      },
    );
    return () => ctl.abort();
    // the caller lists what the call depends on
  }, [...deps, round]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  return { data, problem, loading, reload, set: setData };
}
