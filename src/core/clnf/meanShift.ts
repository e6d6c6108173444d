/**
 * The regularised landmark mean-shift of OpenFace's CLNF
 * (CLNF::NonVectorisedMeanShift_precalc_kde): for each landmark, the mean of
 * its patch response map weighted by a Gaussian kernel centred on the
 * landmark's current position in the response map, minus that position.
 *
 * The kernel is not evaluated at the exact position: OpenFace precomputes it
 * on a 0.1-pixel grid over the window (one table per window size) and uses
 * the nearest grid point, after clamping the position into the window. All
 * arithmetic is float32, as in OpenFace.
 */
import * as pm from '../math/portableMath.ts';

const fr = Math.fround;
const STEP = fr(0.1);

/**
 * The precomputed kernel table for one window size and kernel factor
 * a = -0.5/σ². Its rows are computed on first use (kdeRow): OpenFace fills
 * the whole grid up front (1.5 M exponentials for window 11), but a track
 * visits few grid points.
 */
export interface KdeTable {
  readonly window: number;
  /** grid points per axis (window / 0.1) */
  readonly steps: number;
  /** the factor a, as a float */
  readonly a: number;
  /** (steps * steps) rows of window² kernel values; row = xIndex * steps + yIndex */
  readonly values: Float32Array;
  /** 1 where a row of `values` is computed */
  readonly filled: Uint8Array;
}

/** An empty table for grid offsets dx = x·0.1, dy = y·0.1 (x, y < window/0.1). */
export function buildKdeTable(window: number, a: number): KdeTable {
  const limit = fr(window / STEP); // a float compare, as in OpenFace's loop bound
  let steps = 0;
  while (steps < limit) steps++;
  return { window, steps, a: fr(a), values: new Float32Array(steps * steps * window * window), filled: new Uint8Array(steps * steps) };
}

/**
 * Where row `row` (grid point x = row / steps, y = row % steps) starts in
 * table.values, computed first if needed: value[ii * window + jj] =
 * exp(a ((dy - ii)² + (dx - jj)²)).
 */
export function kdeRow(table: KdeTable, row: number): number {
  const window = table.window;
  let o = row * window * window;
  if (table.filled[row]) return o;
  const start = o;
  const dx = fr(Math.trunc(row / table.steps) * STEP), dy = fr((row % table.steps) * STEP);
  const af = table.a, values = table.values;
  for (let ii = 0; ii < window; ii++) {
    const ty = fr(dy - ii);
    const vx = fr(ty * ty);
    for (let jj = 0; jj < window; jj++) {
      const tx = fr(dx - jj);
      const vy = fr(tx * tx);
      values[o++] = pm.exp(fr(af * fr(vx + vy)));
    }
  }
  table.filled[row] = 1;
  return start;
}

const tables = new Map<string, KdeTable>();

/** buildKdeTable, memoised (the tables are constant and models share them: 1.5 M exponentials for window 11). */
export function sharedKdeTable(window: number, a: number): KdeTable {
  const key = `${window}|${fr(a)}`;
  let t = tables.get(key);
  if (!t) {
    t = buildKdeTable(window, a);
    tables.set(key, t);
  }
  return t;
}

/**
 * Mean shifts of all landmarks: out[i] = Δx, out[i + n] = Δy in response-map
 * coordinates. `dxs`/`dys` are the landmarks' positions in their response
 * maps (float32 values), `responses[i]` the window x window maps; landmarks
 * with visible[i] = 0 get 0.
 */
export function meanShifts(
  table: KdeTable,
  responses: readonly Float32Array[],
  dxs: Float64Array,
  dys: Float64Array,
  visible: Uint8Array,
  out: Float64Array,
): void {
  const n = dxs.length;
  const win = table.window;
  const kde = table.values;
  const maxPos = fr(win - STEP);
  const rowLength = Math.trunc(fr(win / STEP) + 0.5);
  for (let i = 0; i < n; i++) {
    if (!visible[i]) {
      out[i] = 0;
      out[i + n] = 0;
      continue;
    }
    let dx = dxs[i], dy = dys[i];
    if (dx < 0) dx = 0;
    if (dy < 0) dy = 0;
    if (dx > maxPos) dx = maxPos;
    if (dy > maxPos) dy = maxPos;
    const col = Math.trunc(fr(dy / STEP) + 0.5);
    const row = Math.trunc(fr(dx / STEP) + 0.5);
    const ko = kdeRow(table, row * rowLength + col);
    const resp = responses[i];
    let mx = 0, my = 0, sum = 0;
    let p = 0;
    for (let ii = 0; ii < win; ii++) {
      for (let jj = 0; jj < win; jj++, p++) {
        const v = fr(resp[p] * kde[ko + p]);
        sum = fr(sum + v);
        mx = fr(mx + fr(v * jj));
        my = fr(my + fr(v * ii));
      }
    }
    out[i] = fr(fr(mx / sum) - dx);
    out[i + n] = fr(fr(my / sum) - dy);
  }
}
