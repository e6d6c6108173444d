/**
 * MTCNN's box arithmetic as OpenFace 2.2 does it (FaceDetectorMTCNN.cpp):
 * boxes are float32 rectangles (x, y, width, height), but non-maximum
 * suppression and the regression step first turn them into OpenCV integer
 * rectangles, each of x, y, width and height rounded to nearest on its own
 * (ties to even, like cvRound). All arithmetic is float32 unless noted, so
 * every result passes through Math.fround where OpenFace stores a float.
 */

const f32 = Math.fround;

/** A float32 rectangle, as cv::Rect_<float>. */
export interface FloatBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** MTCNN's regression output for a box: offsets of the left, top, right and bottom edges, in units of the box's width/height. */
export interface BoxRegression {
  readonly dx: number;
  readonly dy: number;
  readonly dw: number;
  readonly dh: number;
}

/** cvRound: nearest integer, ties to even (the SSE conversion OpenCV uses). */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** cv::Rect(Rect_<float>): each field rounded on its own. */
export function toIntRect(box: FloatBox): FloatBox {
  return { x: roundHalfEven(box.x), y: roundHalfEven(box.y), width: roundHalfEven(box.width), height: roundHalfEven(box.height) };
}

/** Area of an integer rectangle as cv::Rect::area (negative sizes count as empty in the intersection only). */
function intersectionArea(a: FloatBox, b: FloatBox): number {
  const x0 = Math.max(a.x, b.x);
  const y0 = Math.max(a.y, b.y);
  const x1 = Math.min(a.x + a.width, b.x + b.width);
  const y1 = Math.min(a.y + a.height, b.y + b.height);
  return x1 <= x0 || y1 <= y0 ? 0 : (x1 - x0) * (y1 - y0);
}

/**
 * OpenFace's non_maximum_supression: repeatedly keeps the highest-scoring
 * remaining box and drops every other whose overlap with it exceeds
 * `threshold`. Overlap is intersection over union, or over the smaller of
 * the two areas when `overSmaller`. Overlaps are measured on the boxes
 * rounded to integers (float32 division). Among equal scores the box that
 * comes later in the input is kept first (OpenFace orders by a multimap,
 * which keeps insertion order among equal keys and is read from the end).
 * Returns the kept indices in the order kept (descending score).
 */
export function nonMaximumSuppression(boxes: readonly FloatBox[], scores: ArrayLike<number>, threshold: number, overSmaller: boolean): number[] {
  const rects = boxes.map(toIntRect);
  const limit = f32(threshold);
  // ascending by score, stable: the last element is the next to keep
  const remaining = boxes.map((_, i) => i).sort((a, b) => scores[a] - scores[b] || a - b);
  const kept: number[] = [];
  while (remaining.length > 0) {
    const current = remaining.pop() as number;
    const r1 = rects[current];
    const area1 = r1.width * r1.height;
    let write = 0;
    for (let read = 0; read < remaining.length; read++) {
      const other = remaining[read];
      const r2 = rects[other];
      const area2 = r2.width * r2.height;
      const inter = intersectionArea(r1, r2);
      const denominator = overSmaller ? Math.min(area1, area2) : f32(area1 + area2 - inter);
      const overlap = f32(inter / denominator);
      if (!(overlap > limit)) remaining[write++] = other;
    }
    remaining.length = write;
    kept.push(current);
  }
  return kept;
}

/**
 * OpenFace's apply_correction: moves each edge of the box (rounded to an
 * integer rectangle first; `addOne` grows that rectangle by one pixel in
 * width and height, as OpenFace does before the last stage) by the
 * regression times the rectangle's size.
 */
export function applyRegression(box: FloatBox, regression: BoxRegression, addOne: boolean): FloatBox {
  const r = toIntRect(box);
  const w = addOne ? r.width + 1 : r.width;
  const h = addOne ? r.height + 1 : r.height;
  const left = f32(r.x + f32(regression.dx * w));
  const top = f32(r.y + f32(regression.dy * h));
  const right = f32(r.x + w + f32(w * regression.dw));
  const bottom = f32(r.y + h + f32(h * regression.dh));
  return { x: left, y: top, width: f32(right - left), height: f32(bottom - top) };
}

/**
 * OpenFace's rectify: the square of side max(width, height) around the same
 * centre, every field truncated toward zero to an integer.
 */
export function squareBox(box: FloatBox): FloatBox {
  const side = Math.max(box.width, box.height);
  const left = f32(box.x + 0.5 * f32(box.width - side));
  const top = f32(box.y + 0.5 * f32(box.height - side));
  return { x: Math.trunc(left), y: Math.trunc(top), width: Math.trunc(side), height: Math.trunc(side) };
}

/**
 * The correction at the end of FaceDetectorMTCNN::DetectFaces that makes
 * ONet's box fit the 68 landmarks CLNF expects (narrower at the top,
 * shorter): x - 0.0075 w, y + 0.2459 h, w * 1.0323, h * 0.7751, each
 * evaluated in double (the constants are doubles) and stored as float.
 */
export function clnfOrientedBox(box: FloatBox): FloatBox {
  return {
    x: f32(box.width * -0.0075 + box.x),
    y: f32(box.height * 0.2459 + box.y),
    width: f32(1.0323 * box.width),
    height: f32(0.7751 * box.height),
  };
}

/**
 * LandmarkDetectorUtils' DetectSingleFaceMTCNN without a preference point
 * (FeatureExtraction never sets one): the index of the widest box, the first
 * one on ties; -1 when there is none.
 */
export function widestIndex(boxes: readonly FloatBox[]): number {
  let best = -1;
  for (let i = 0; i < boxes.length; i++) if (best < 0 || boxes[i].width > boxes[best].width) best = i;
  return best;
}
