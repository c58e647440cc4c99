import assert from "node:assert/strict";
import { allocateBestAvailable, freeRuns, type RowSeats } from "./allocation.js";

/**
 * Rows drawn as text, front row first: `.` a free seat, `X` a taken seat, `_` a gap (no seat
 * there; the next seat has gapBefore). Seat ids are row × 1000 + position.
 */
function section(...drawn: string[]): RowSeats[] {
  return drawn.map((line, row) => {
    const seats = [];
    let pos = 0;
    let gap = false;
    for (const ch of line) {
      if (ch === "_") {
        gap = true;
        continue;
      }
      seats.push({ id: row * 1000 + pos, pos, gapBefore: gap, free: ch === "." });
      gap = false;
      pos++;
    }
    return { row, length: pos, seats };
  });
}

/** The section with the allocation drawn in: chosen seats become `o`. */
function picture(drawn: string[], quantity: number): string[] | undefined {
  const got = allocateBestAvailable(section(...drawn), quantity);
  if (got === undefined) return undefined;
  const chosen = new Set(got.seatIds);
  assert.equal(chosen.size, quantity, "as many distinct seats as asked");
  return drawn.map((line, row) => {
    let pos = 0;
    let out = "";
    for (const ch of line) {
      if (ch === "_") {
        out += ch;
        continue;
      }
      if (chosen.has(row * 1000 + pos)) {
        assert.equal(ch, ".", `seat ${row}/${pos} was free`);
        out += "o";
      } else out += ch;
      pos++;
    }
    return out;
  });
}

describe("best-available allocation (domain)", () => {
  const cases: Array<[string, string[], number, string[] | undefined]> = [
    ["an empty row: the centre", ["........"], 2, ["...oo..."]],
    ["odd row: the centre seat", [".........."], 3, ["...ooo...."]],
    ["front row first", ["XXXX....", "........"], 2, ["XXXXoo..", "........"]],
    ["the whole row when it is exactly the quantity", ["XX...XXX"], 3, ["XXoooXXX"]],
    [
      "a gap splits a row: seats either side of it are not adjacent",
      ["XX.._..XX", "........."],
      4,
      ["XX.._..XX", "..oooo..."],
    ],
    ["a gap is like a taken seat at a run's end", ["..._..."], 3, ["ooo_..."]],
    [
      "no orphan between taken seats: a run of 3 for 2 is skipped for a later row",
      ["X...X", "XX..X"],
      2,
      ["X...X", "XXooX"],
    ],
    ["no orphan at a row edge next to a block", ["...XXXXXX", "XXXXX...."], 2, ["...XXXXXX", "XXXXXoo.."]],
    ["no orphan next to a gap", [".._...XX"], 2, ["oo_...XX"]],
    ["a long run: the block goes near the centre but leaves no single seat", ["X.....XXXXXX"], 3, ["X..oooXXXXXX"]],
    ["best fit among runs of the same row", ["......X...X"], 3, ["......XoooX"]],
    ["an orphan when nothing avoids it (one row, 3 free, 2 wanted)", ["X...X"], 2, ["Xoo.X"]],
    ["fewest blocks beat front rows", ["X.X.X.X.", "XXX...XX", "XX..XXXX"], 5, ["X.X.X.X.", "XXXoooXX", "XXooXXXX"]],
    ["front rows beat 2+2 further back", ["X...X", "XX.XX", "X..XX", "X..XX"], 4, ["XoooX", "XXoXX", "X..XX", "X..XX"]],
    ["largest blocks: 3+1 before 2+2 in the same rows", ["X...XX", "X.X..X..X"], 4, ["XoooXX", "XoX..X..X"]],
    ["impossible: fewer free seats than asked", ["X..X", "XX.X"], 4, undefined],
    ["full rows are skipped", ["XXXX", "XXXX", "X..X"], 2, ["XXXX", "XXXX", "XooX"]],
    ["sold out", ["XXXX", "XXXX"], 1, undefined],
    ["single seat: a lone free seat is the best fit", ["X.X..", "....."], 1, ["XoX..", "....."]],
  ];

  it("table of cases", () => {
    for (const [name, drawn, q, want] of cases) {
      assert.deepEqual(picture(drawn, q), want, name);
    }
  });

  it("splits across rows: fewest blocks, then the backmost row as far front as possible, no orphans", () => {
    // the empty row 2 fits all 4 in one block: one block beats two blocks in front rows
    assert.deepEqual(picture(["XXX..XXX", "XX..XXXX", "........"], 4), ["XXX..XXX", "XX..XXXX", "..oooo.."]);
    // no run holds 4: two blocks, rows 0+1, no orphan
    assert.deepEqual(picture(["XXX..XXX", "XX..XXXX", "XXX..XXX"], 4), ["XXXooXXX", "XXooXXXX", "XXX..XXX"]);
    // 3 blocks when 2 cannot do it
    assert.deepEqual(picture(["X..X", "X..X", "X..X", "XX.X"], 5), ["XooX", "XooX", "X..X", "XXoX"]);
  });

  it("orphans are avoided at the price of a row further back, but never by splitting a group that fits a row", () => {
    // row 0 has runs of 3: 2 from a 3-run orphans one seat; row 1 has an exact pair
    assert.deepEqual(picture(["X...X...X", "XXXXX..XX"], 2), ["X...X...X", "XXXXXooXX"]);
    // 4 wanted: only row 0's run of 5 fits them together; it orphans a seat, a 2+2 split would not
    assert.deepEqual(picture([".....", "..X..", "XXXXX"], 4), ["oooo.", "..X..", "XXXXX"]);
    // in a split (no run holds 3) orphans still count: the lone seat is used, no pair is broken
    assert.deepEqual(picture(["X..X", "X.X.."], 3), ["XooX", "XoX.."]);
  });

  it("a section with an existing orphan may keep it; the allocator adds none", () => {
    const got = allocateBestAvailable(section("X.X......"), 3);
    assert.equal(got?.orphans, 0);
    assert.ok(!got?.seatIds.includes(1), "the lone seat is not used for a group of 3");
  });

  it("runs follow positions and gaps, not the order seats are listed with missing ones", () => {
    // seats omitted from the input count as not free (the repository passes only free seats)
    const rows: RowSeats[] = [
      {
        row: 7,
        length: 6,
        seats: [
          { id: 1, pos: 0, gapBefore: false, free: true },
          { id: 2, pos: 1, gapBefore: false, free: true },
          { id: 4, pos: 3, gapBefore: false, free: true },
          { id: 5, pos: 4, gapBefore: true, free: true },
          { id: 6, pos: 5, gapBefore: false, free: true },
        ],
      },
    ];
    assert.deepEqual(
      freeRuns(rows).map((r) => r.ids),
      [[1, 2], [4], [5, 6]],
    );
    // two exact pairs equally far from the centre: layout order decides
    assert.deepEqual(allocateBestAvailable(rows, 2)?.blocks, [{ row: 7, seatIds: [1, 2] }]);
    assert.deepEqual(
      allocateBestAvailable(rows, 1)?.blocks,
      [{ row: 7, seatIds: [4] }],
      "the lone seat fits 1 exactly",
    );
  });

  it("matches an exhaustive search on keys 1-5 over 300 random small sections", () => {
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x80000000;
    };
    for (let n = 0; n < 300; n++) {
      const drawn = Array.from({ length: 3 }, () => {
        let line = "";
        for (let p = 0; p < 7; p++) {
          if (p > 0 && rand() < 0.15) line += "_";
          line += rand() < 0.4 ? "X" : ".";
        }
        return line;
      });
      const rows = section(...drawn);
      const q = 1 + Math.floor(rand() * 4);
      const got = allocateBestAvailable(rows, q);
      const best = exhaustiveBest(rows, q);
      if (best === undefined) {
        assert.equal(got, undefined, drawn.join("|"));
        continue;
      }
      assert.ok(got, `${drawn.join("|")} q=${q}`);
      assert.deepEqual(keysOf(rows, new Set(got.seatIds)), best, `${drawn.join("|")} q=${q}`);
    }
  });

  it("rejects a quantity below 1", () => {
    assert.throws(() => allocateBestAvailable(section("...."), 0), RangeError);
    assert.throws(() => allocateBestAvailable(section("...."), 1.5), RangeError);
  });

  it("is fast on a 100 × 100 section: empty, fragmented and checkerboard", () => {
    const empty = Array.from({ length: 100 }, () => ".".repeat(100));
    const fragmented = Array.from({ length: 100 }, (_, r) =>
      Array.from({ length: 100 }, (_, p) => ((p + r) % 4 === 0 ? "X" : ".")).join(""),
    );
    const checker = Array.from({ length: 100 }, (_, r) =>
      Array.from({ length: 100 }, (_, p) => ((p + r) % 2 === 0 ? "X" : ".")).join(""),
    );
    const backOnly = Array.from({ length: 100 }, (_, r) => (r < 99 ? "X.".repeat(50) : ".".repeat(100)));
    for (const [name, drawn, q, budgetMs] of [
      ["empty", empty, 10, 20],
      ["fragmented, 50 seats", fragmented, 50, 200],
      ["checkerboard, 50 seats", checker, 50, 200],
      ["only the back row has a block", backOnly, 8, 50],
    ] as const) {
      const rows = section(...drawn);
      const t0 = performance.now();
      const got = allocateBestAvailable(rows, q);
      const ms = performance.now() - t0;
      assert.equal(got?.seatIds.length, q, name);
      assert.ok(ms < budgetMs, `${name}: ${ms.toFixed(1)} ms`);
    }
    // the back row's block beats 8 single seats in front (fewest blocks)
    assert.equal(allocateBestAvailable(section(...backOnly), 8)?.blocks.length, 1);
    // 50 on a checkerboard: 50 single seats, none orphaned (each is already alone), front rows first
    const c = allocateBestAvailable(section(...checker), 50)!;
    assert.equal(c.blocks.length, 50);
    assert.deepEqual([...new Set(c.blocks.map((b) => b.row))], [0]);
  });
});

/** Keys 1-5 of the rule for a set of chosen seats, computed from scratch on the seat map. */
function keysOf(rows: RowSeats[], chosen: Set<number>): number[] {
  let orphans = 0;
  let blocks = 0;
  let back = -1;
  let squares = 0;
  let weighted = 0;
  rows.forEach((r, ri) => {
    const adjacent = (i: number) => r.seats[i]!.pos === r.seats[i - 1]!.pos + 1 && !r.seats[i]!.gapBefore;
    // maximal free runs before and after, as lists of seat indexes
    const runs = (free: (i: number) => boolean) => {
      const out: number[][] = [];
      r.seats.forEach((_, i) => {
        if (!free(i)) return;
        if (i > 0 && free(i - 1) && adjacent(i)) out[out.length - 1]!.push(i);
        else out.push([i]);
      });
      return out;
    };
    const before = new Set(
      runs((i) => r.seats[i]!.free)
        .filter((x) => x.length === 1)
        .map((x) => x[0]),
    );
    for (const run of runs((i) => r.seats[i]!.free && !chosen.has(r.seats[i]!.id)))
      if (run.length === 1 && !before.has(run[0]!)) orphans++;
    for (const block of runs((i) => chosen.has(r.seats[i]!.id))) {
      blocks++;
      back = ri;
      squares += block.length * block.length;
      weighted += block.length * ri;
    }
  });
  return [blocks, orphans, back, -squares, weighted];
}

function lexLess(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}

function exhaustiveBest(rows: RowSeats[], q: number): number[] | undefined {
  const free = rows.flatMap((r) => r.seats.filter((s) => s.free).map((s) => s.id));
  let best: number[] | undefined;
  const pick = (from: number, chosen: number[]) => {
    if (chosen.length === q) {
      const k = keysOf(rows, new Set(chosen));
      if (best === undefined || lexLess(k, best)) best = k;
      return;
    }
    for (let i = from; i < free.length; i++) pick(i + 1, [...chosen, free[i]!]);
  };
  pick(0, []);
  return best;
}
