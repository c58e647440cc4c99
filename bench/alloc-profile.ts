/**
 * Preload for an allocation profile of the platform under load: samples every allocation site,
 * including objects the GC has since collected (which `node --heap-prof` leaves out), and writes
 * a `.heapprofile` when the process exits. Used through BENCH_NODE_ARGS, e.g.
 *
 *   BENCH_NODE_ARGS="--import ./bench/alloc-profile.ts" BENCH_ALLOC_PROFILE=/tmp/alloc.heapprofile \
 *     BENCH_ONLY='^h1\.ours\.empty$' make bench
 *   node --import tsx bench/profile-summary.ts --heap /tmp/alloc.heapprofile
 */
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";

const out = process.env.BENCH_ALLOC_PROFILE ?? `alloc-${process.pid}.heapprofile`;
const session = new Session();
session.connect();
// BENCH_ALLOC_LIVE=1: only objects still alive at exit (what survived scavenges: promoted garbage)
const all = process.env.BENCH_ALLOC_LIVE !== "1";
session.post("HeapProfiler.startSampling", {
  samplingInterval: 16_384,
  includeObjectsCollectedByMajorGC: all,
  includeObjectsCollectedByMinorGC: all,
});
process.on("exit", () => {
  // an in-process inspector session answers synchronously, so this works inside "exit"
  session.post("HeapProfiler.stopSampling", (err, r) => {
    if (err === null) writeFileSync(out, JSON.stringify(r.profile));
  });
});
