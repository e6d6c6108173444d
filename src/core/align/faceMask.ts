/*
 * The pixel mask of OpenFace's piece-wise affine warp (PAW.cpp, the constructor
 * with explicit bounds, as AlignFaceMask builds it): pixel (x, y) of a
 * width x height grid is inside when the point (x, y) lies in some triangle of
 * the triangulation over the given landmarks. OpenFace 2.2 does this in
 * float, so the vertices are taken as floats and the side tests are float
 * expressions.
 *
 * What "lies in" means matters at the edges, so it follows PAW.cpp exactly:
 * - a point is in a triangle when, for each vertex, the point and that vertex
 *   are on the same side of the line through the other two vertices, tested as
 *   (cross product with the point) * (cross product with the vertex) >= 0:
 *   points exactly on an edge or a vertex count as inside;
 * - triangles are searched in file order, each skipped when the point is
 *   outside its bounding box (bounds inclusive), but the triangle found for
 *   the previous pixel of the scan (left to right, top to bottom) is tried
 *   first without the bounding-box test. For proper triangles this changes
 *   nothing; for a degenerate (collinear) one it can, and we reproduce it.
 */

const fr = Math.fround;

/** Per triangle: x1 y1 x2 y2 x3 y3 maxX maxY minX minY (float32 values), as PAW stores them. */
function triangleTable(xsIn: ArrayLike<number>, ysIn: ArrayLike<number>, triangulation: Int32Array): Float64Array {
  const xs = Float64Array.from(xsIn, fr);
  const ys = Float64Array.from(ysIn, fr);
  const numTris = Math.floor(triangulation.length / 3);
  const t = new Float64Array(numTris * 10);
  for (let i = 0; i < numTris; i++) {
    const j = triangulation[i * 3];
    const k = triangulation[i * 3 + 1];
    const l = triangulation[i * 3 + 2];
    const o = i * 10;
    t[o] = xs[j];
    t[o + 1] = ys[j];
    t[o + 2] = xs[k];
    t[o + 3] = ys[k];
    t[o + 4] = xs[l];
    t[o + 5] = ys[l];
    t[o + 6] = Math.max(xs[j], xs[k], xs[l]);
    t[o + 7] = Math.max(ys[j], ys[k], ys[l]);
    t[o + 8] = Math.min(xs[j], xs[k], xs[l]);
    t[o + 9] = Math.min(ys[j], ys[k], ys[l]);
  }
  return t;
}

/** PAW's sameSide, in float: is (x0, y0) on the same side of line (x2,y2)-(x3,y3) as (x1, y1)? */
function sameSide(x0: number, y0: number, x1: number, y1: number, x2: number, y2: number, x3: number, y3: number): boolean {
  const dx = fr(x3 - x2), dy = fr(y3 - y2);
  const a = fr(fr(dx * fr(y0 - y2)) - fr(fr(x0 - x2) * dy));
  const b = fr(fr(dx * fr(y1 - y2)) - fr(fr(x1 - x2) * dy));
  return fr(a * b) >= 0;
}

function inTriangle(t: Float64Array, o: number, x0: number, y0: number): boolean {
  const x1 = t[o];
  const y1 = t[o + 1];
  const x2 = t[o + 2];
  const y2 = t[o + 3];
  const x3 = t[o + 4];
  const y3 = t[o + 5];
  return (
    sameSide(x0, y0, x1, y1, x2, y2, x3, y3) &&
    sameSide(x0, y0, x2, y2, x1, y1, x3, y3) &&
    sameSide(x0, y0, x3, y3, x1, y1, x2, y2)
  );
}

/**
 * Mask (1 inside, 0 outside) of the pixels of a width x height grid covered by
 * the triangles over the points (xs[i], ys[i]); `triangulation` holds vertex
 * index triples. Pixel centres are at integer coordinates.
 */
export function triangleMask(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  triangulation: Int32Array,
  width: number,
  height: number,
): Uint8Array {
  const t = triangleTable(xs, ys, triangulation);
  const numTris = t.length / 10;
  const mask = new Uint8Array(width * height);
  // Triangles whose bounding box spans the current row, in file order: the
  // same search as PAW's (which skips the others by their bounding box), faster.
  const candidates = new Int32Array(numTris);
  // offset in `t` of the triangle that held the previous pixel, -1 if none (PAW's guess)
  let guess = -1;
  for (let y = 0; y < height; y++) {
    let numCandidates = 0;
    for (let i = 0; i < numTris; i++) {
      const o = i * 10;
      if (!(t[o + 7] < y || t[o + 9] > y)) candidates[numCandidates++] = o;
    }
    for (let x = 0; x < width; x++) {
      let found = -1;
      if (guess !== -1 && inTriangle(t, guess, x, y)) {
        found = guess;
      } else {
        for (let c = 0; c < numCandidates; c++) {
          const o = candidates[c];
          if (t[o + 6] < x || t[o + 8] > x) continue;
          if (inTriangle(t, o, x, y)) {
            found = o;
            break;
          }
        }
      }
      guess = found;
      if (found !== -1) mask[y * width + x] = 1;
    }
  }
  return mask;
}
