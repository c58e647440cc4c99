/**
 * Best available: which seats of a reserved section a quantity gets. Pure: the caller reads the
 * seats (only the free ones, or every seat with its `free` flag) and claims what this returns.
 *
 * The rule (docs/ticket.md has it with examples). A *run* is a maximal sequence of free seats of one
 * row that are adjacent: consecutive positions in layout order with no gap between them (a gap is an
 * absent seat). A *block* is a part of one run given to the buyer. A block *orphans* a seat when it
 * leaves exactly one free seat between itself and the end of its run (a taken seat, a gap or the
 * row's edge). Among every way to seat the quantity, the allocation is the first by:
 *
 *   1. fewest blocks: the group together in one row whenever some row fits it;
 *   2. fewest orphaned seats (a group that fits in one row takes a place that orphans no seat if
 *      any row offers one; a split avoids orphans the same way);
 *   3. the backmost row used as far front as possible (rows in layout order, front first);
 *   4. the largest blocks (greatest sum of squared block sizes: 3+1 before 2+2);
 *   5. the most seats in front rows (least sum of seats × row index);
 *   6. the best fit (least free seats left in the runs used, keeping long runs for large groups);
 *   7. blocks nearest the centre of their rows;
 *   8. layout order.
 *
 * Within a run a block sits as near the row's centre as it can without orphaning a seat.
 */

/** One seat as the allocator sees it. */
export interface SeatSlot {
  /** The caller's id for the seat (the inventory's seat number); returned as is. */
  readonly id: number;
  /** Position in the row in layout order, 0-based; positions of a row are consecutive. */
  readonly pos: number;
  /** True when a gap (an absent seat) lies between this seat and the previous position. */
  readonly gapBefore: boolean;
  /** True when the seat can be given to this buyer. Seats may be left out instead of marked taken. */
  readonly free: boolean;
}

/** One row in layout order with its seats sorted by position. */
export interface RowSeats {
  /** The caller's id for the row; returned as is. */
  readonly row: number;
  /** Number of seats in the row (positions 0 … length-1), free or not: the row's centre. */
  readonly length: number;
  readonly seats: readonly SeatSlot[];
}

export interface Block {
  readonly row: number;
  readonly seatIds: number[];
}

export interface Allocation {
  /** Every chosen seat id, blocks in layout order. */
  readonly seatIds: number[];
  readonly blocks: Block[];
  /** Free seats this allocation leaves orphaned (0 unless unavoidable). */
  readonly orphans: number;
}

interface Run {
  /** Index of the row in the input (layout order). */
  readonly rowIndex: number;
  readonly ids: number[];
  readonly startPos: number;
  readonly rowLength: number;
}

/** Runs of adjacent free seats, in layout order. */
export function freeRuns(rows: readonly RowSeats[]): Run[] {
  const runs: Run[] = [];
  rows.forEach((r, rowIndex) => {
    let current: { ids: number[]; startPos: number; lastPos: number } | undefined;
    for (const s of r.seats) {
      if (!s.free) {
        current = undefined;
        continue;
      }
      if (current && s.pos === current.lastPos + 1 && !s.gapBefore) {
        current.ids.push(s.id);
        current.lastPos = s.pos;
        continue;
      }
      current = { ids: [s.id], startPos: s.pos, lastPos: s.pos };
      runs.push({ rowIndex, ids: current.ids, startPos: s.pos, rowLength: r.length });
    }
  });
  return runs;
}

/** Where `t` seats go in a run: offset in the run, orphans left, distance from the row centre (×2). */
interface Placement {
  readonly offset: number;
  readonly orphans: number;
  readonly dist: number;
}

function place(run: Run, t: number): Placement {
  const len = run.ids.length;
  const rowMid2 = run.rowLength - 1; // twice the centre position
  // the offset whose block centre is nearest the row centre, then its neighbours and the two flush ends
  const ideal = Math.round((rowMid2 - (t - 1)) / 2) - run.startPos;
  let best: Placement | undefined;
  for (const o of [ideal, ideal - 1, ideal + 1, ideal - 2, ideal + 2, 0, len - t]) {
    if (o < 0 || o > len - t) continue;
    const orphans = (o === 1 ? 1 : 0) + (len - t - o === 1 ? 1 : 0);
    const dist = Math.abs(2 * (run.startPos + o) + (t - 1) - rowMid2);
    if (
      best === undefined ||
      orphans < best.orphans ||
      (orphans === best.orphans && (dist < best.dist || (dist === best.dist && o < best.offset)))
    )
      best = { offset: o, orphans, dist };
  }
  return best!;
}

// Keys compared in order; all additive over blocks so a knapsack can minimise them exactly.
// [blocks, orphans, -Σt², Σ t·row, Σ leftover, Σ dist]
const K = 6;

function costOf(run: Run, t: number, p: Placement): number[] {
  return [1, p.orphans, -t * t, t * run.rowIndex, run.ids.length - t, p.dist];
}

function less(a: ArrayLike<number>, ai: number, b: ArrayLike<number>, bi: number): boolean {
  for (let k = 0; k < K; k++) {
    const x = a[ai + k]!;
    const y = b[bi + k]!;
    if (x !== y) return x < y;
  }
  return false;
}

function blockOf(run: Run, t: number, p: Placement): Block {
  return { row: -1, seatIds: run.ids.slice(p.offset, p.offset + t) };
}

/**
 * The seats for `quantity` by the rule above, or undefined when fewer seats are free.
 * Linear in the seats for the common case (one row fits without an orphan); otherwise a knapsack
 * over the runs, O(runs × quantity²).
 */
export function allocateBestAvailable(rows: readonly RowSeats[], quantity: number): Allocation | undefined {
  if (!Number.isInteger(quantity) || quantity < 1) throw new RangeError(`quantity must be a positive integer`);
  const runs = freeRuns(rows);
  let free = 0;
  for (const r of runs) free += r.ids.length;
  if (free < quantity) return undefined;
  const withRows = (a: { blocks: Block[]; orphans: number }, runOf: Run[]): Allocation => {
    const blocks = a.blocks.map((b, i) => ({ row: rows[runOf[i]!.rowIndex]!.row, seatIds: b.seatIds }));
    return { blocks, seatIds: blocks.flatMap((b) => b.seatIds), orphans: a.orphans };
  };

  // Fast path: the front-most row with a run that fits without an orphan wins keys 1-3 outright;
  // without one, the knapsack below weighs one-row choices that orphan a seat against each other.
  // keys 4-5 are equal within a row, so keys 6-8 pick the run.
  let rowIndex = -1;
  let chosen: { run: Run; p: Placement } | undefined;
  for (const run of runs) {
    if (chosen && run.rowIndex !== rowIndex) break;
    const left = run.ids.length - quantity;
    if (left < 0 || left === 1) continue;
    const p = place(run, quantity);
    if (
      chosen === undefined ||
      left < chosen.run.ids.length - quantity ||
      (left === chosen.run.ids.length - quantity && p.dist < chosen.p.dist)
    ) {
      chosen = { run, p };
      rowIndex = run.rowIndex;
    }
  }
  if (chosen) return withRows({ blocks: [blockOf(chosen.run, quantity, chosen.p)], orphans: 0 }, [chosen.run]);

  return knapsack(runs, quantity, withRows);
}

function knapsack(
  runs: Run[],
  q: number,
  finish: (a: { blocks: Block[]; orphans: number }, runOf: Run[]) => Allocation,
): Allocation {
  // Lower bound on blocks: the fewest runs whose lengths add up to q. Reaching it with no orphan
  // ends the search early (nothing later can beat it on keys 1-3).
  const lengths = runs.map((r) => r.ids.length).sort((a, b) => b - a);
  let minBlocks = 0;
  for (let sum = 0; sum < q; minBlocks++) sum += lengths[minBlocks]!;

  const W = q + 1;
  let prev = new Float64Array(W * K).fill(Number.POSITIVE_INFINITY);
  let cur = new Float64Array(W * K);
  prev.fill(0, 0, K); // seating 0 costs nothing
  const take: Int32Array[] = [];
  const placements: Placement[][] = [];
  const cand = new Float64Array(K);
  let firstBest: { runIndex: number; orphans: number; blocks: number } | undefined;
  const rowEnds: Array<{ runIndex: number; orphans: number; blocks: number }> = [];

  for (let i = 0; i < runs.length; i++) {
    const run = runs[i]!;
    const maxT = Math.min(run.ids.length, q);
    const ps: Placement[] = [];
    const costs: number[][] = [];
    for (let t = 1; t <= maxT; t++) {
      ps[t] = place(run, t);
      costs[t] = costOf(run, t, ps[t]!);
    }
    placements.push(ps);
    const choice = new Int32Array(W);
    cur.set(prev);
    for (let s = 1; s <= q; s++) {
      for (let t = 1; t <= Math.min(maxT, s); t++) {
        const base = (s - t) * K;
        if (prev[base] === Number.POSITIVE_INFINITY) continue;
        const c = costs[t]!;
        for (let k = 0; k < K; k++) cand[k] = prev[base + k]! + c[k]!;
        if (less(cand, 0, cur, s * K)) {
          cur.set(cand, s * K);
          choice[s] = t;
        }
      }
    }
    take.push(choice);
    [prev, cur] = [cur, prev];
    const lastOfRow = i === runs.length - 1 || runs[i + 1]!.rowIndex !== run.rowIndex;
    if (lastOfRow && prev[q * K] !== Number.POSITIVE_INFINITY) {
      const end = { runIndex: i, blocks: prev[q * K]!, orphans: prev[q * K + 1]! };
      rowEnds.push(end);
      if (end.orphans === 0 && end.blocks === minBlocks) {
        firstBest = end;
        break;
      }
    }
  }
  // keys 1-2 can only improve as rows are added: the answer is the first row prefix reaching the best
  if (firstBest === undefined) {
    const last = rowEnds[rowEnds.length - 1]!;
    firstBest = rowEnds.find((e) => e.orphans === last.orphans && e.blocks === last.blocks)!;
  }
  const blocks: Array<{ run: Run; block: Block }> = [];
  for (let i = firstBest.runIndex, s = q; s > 0; i--) {
    const t = take[i]![s]!;
    if (t === 0) continue;
    const run = runs[i]!;
    blocks.push({ run, block: blockOf(run, t, placements[i]![t]!) });
    s -= t;
  }
  blocks.reverse();
  return finish(
    { blocks: blocks.map((b) => b.block), orphans: firstBest.orphans },
    blocks.map((b) => b.run),
  );
}
