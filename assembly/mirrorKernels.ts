// AssemblyScript: Face Mirror's reflection (src/core/mirror/mirrorImage.ts
// loads the compiled module; scripts/build-wasm.ts compiles it at install).
//
// `mirrorFace` gives the bytes of its TypeScript twin (mirrorFaceInTypeScript
// in mirrorImage.ts): every value is the same chain of f64 operations in the
// same order (WebAssembly's f64 arithmetic is IEEE double, as JavaScript's;
// no fused multiply-add), so the mirrored frames, and everything measured on
// them, do not depend on which of the two ran. tests/core/mirror/
// mirrorImage.test.ts compares them on random images and lines.
//
// Why it is faster than the TypeScript: no bounds check on each of the 12
// byte reads a pixel takes, and the rows' kept runs are block copies.
//
// No AssemblyScript runtime objects: raw pointers into linear memory, laid
// out by the TypeScript side.

/** Where the module's own static data ends: the TypeScript side lays out its buffers from here. */
export function heapBase(): usize {
  return __heap_base;
}

/**
 * Writes into `dst` the face made of one half of `src` (BGR, width x height,
 * no row padding) and its reflection across the line through (lineX, lineY).
 * (nx, ny) is the line's unit normal pointing to the replaced half; across
 * the seam (|u| < half) the picture fades from the original to the
 * reflection (smoothstep). `flip`: the row is written mirrored (column x to
 * width - 1 - x), the left face's orientation.
 */
export function mirrorFace(src: usize, dst: usize, width: i32, height: i32, lineX: f64, lineY: f64, nx: f64, ny: f64, half: f64, flip: bool): void {
  const maxX = width - 1, maxY = height - 1;
  const fMaxX = <f64>maxX, fMaxY = <f64>maxY;
  const stride = width * 3;
  for (let y = 0; y < height; y++) {
    const u0: f64 = (0 - lineX) * nx + (<f64>y - lineY) * ny;
    const rowBase = y * stride;
    // the pixels that need the reflection: [first, last]; the kept part is one run at one end
    let first = 0, last = width - 1;
    if (nx > 1e-12) first = <i32>max(0.0, min(<f64>width, Math.floor((-half - u0) / nx) + 1));
    else if (nx < -1e-12) last = <i32>min(<f64>(width - 1), max(-1.0, Math.ceil((-half - u0) / nx) - 1));
    else if (u0 <= -half) first = width;
    while (first <= last && u0 + <f64>first * nx <= -half) first++;
    while (last >= first && u0 + <f64>last * nx <= -half) last--;
    const keptLeft = min(first, width);
    if (flip) {
      copyReversed(src, dst, rowBase, 0, keptLeft, width);
      copyReversed(src, dst, rowBase, last + 1, width, width);
    } else {
      if (keptLeft > 0) memory.copy(dst + rowBase, src + rowBase, keptLeft * 3);
      if (last < width - 1) memory.copy(dst + rowBase + (last + 1) * 3, src + rowBase + (last + 1) * 3, (width - 1 - last) * 3);
    }
    const fy0 = <f64>y;
    let target: usize = dst + <usize>(flip ? rowBase + (maxX - first) * 3 : rowBase + first * 3);
    const step: isize = flip ? -3 : 3;
    for (let x = first; x <= last; x++, target += step) {
      const u = u0 + <f64>x * nx;
      let rx = <f64>x - 2 * u * nx;
      let ry = fy0 - 2 * u * ny;
      rx = rx < 0 ? 0 : rx > fMaxX ? fMaxX : rx;
      ry = ry < 0 ? 0 : ry > fMaxY ? fMaxY : ry;
      const x0 = <i32>rx, y0 = <i32>ry;
      const fx = rx - <f64>x0, fy = ry - <f64>y0;
      const a = src + <usize>((y0 * width + x0) * 3);
      const b = x0 < maxX ? a + 3 : a;
      const down: usize = y0 < maxY ? <usize>stride : 0;
      const c = a + down, d = b + down;
      const wa = (1 - fx) * (1 - fy), wb = fx * (1 - fy), wc = (1 - fx) * fy, wd = fx * fy;
      // the channels side by side: lanes (B, G) and (R, -); the same sums, left to right, per lane
      const va = f64x2.splat(wa), vb = f64x2.splat(wb), vc = f64x2.splat(wc), vd = f64x2.splat(wd);
      const ca = pixelAt(a), cb = pixelAt(b), cc = pixelAt(c), cd = pixelAt(d);
      let bg = f64x2.add(f64x2.add(f64x2.add(f64x2.mul(va, low(ca)), f64x2.mul(vb, low(cb))), f64x2.mul(vc, low(cc))), f64x2.mul(vd, low(cd)));
      let r = f64x2.add(f64x2.add(f64x2.add(f64x2.mul(va, high(ca)), f64x2.mul(vb, high(cb))), f64x2.mul(vc, high(cc))), f64x2.mul(vd, high(cd)));
      if (u < half) {
        // in the seam: (1 - w) of the original plus w of the reflection
        const t = (u + half) / (2 * half);
        const w = t * t * (3 - 2 * t);
        const keep = f64x2.splat(1 - w), vw = f64x2.splat(w);
        const co = pixelAt(src + <usize>(rowBase + x * 3));
        bg = f64x2.add(f64x2.mul(keep, low(co)), f64x2.mul(vw, bg));
        r = f64x2.add(f64x2.mul(keep, high(co)), f64x2.mul(vw, r));
      }
      const half05 = f64x2.splat(0.5);
      const bgBytes = i32x4.trunc_sat_f64x2_u_zero(f64x2.add(bg, half05));
      const rBytes = i32x4.trunc_sat_f64x2_u_zero(f64x2.add(r, half05));
      // below 256 (the weights add to one), so truncating is the TypeScript's v | 0
      store<u8>(target, <u8>i32x4.extract_lane(bgBytes, 0));
      store<u8>(target, <u8>i32x4.extract_lane(bgBytes, 1), 1);
      store<u8>(target, <u8>i32x4.extract_lane(rBytes, 0), 2);
    }
  }
}

/** The 4 bytes at p (a pixel's B, G, R and the next byte) as i32 lanes. */
@inline function pixelAt(p: usize): v128 {
  return i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(p)));
}

/** lanes 0 and 1 (B, G) as f64 */
@inline function low(pixel: v128): v128 {
  return f64x2.convert_low_i32x4_u(pixel);
}

/** lanes 2 and 3 (R, the next byte) as f64 */
@inline function high(pixel: v128): v128 {
  return f64x2.convert_low_i32x4_u(i32x4.shuffle(pixel, pixel, 2, 3, 2, 3));
}

/** Source pixels [from, to) of one row written to the mirrored columns (width - 1 - x) of the same row. */
function copyReversed(src: usize, dst: usize, rowBase: i32, from: i32, to: i32, width: i32): void {
  for (let x = from; x < to; x++) {
    const s = src + <usize>(rowBase + x * 3), d = dst + <usize>(rowBase + (width - 1 - x) * 3);
    store<u8>(d, load<u8>(s));
    store<u8>(d, load<u8>(s, 1), 1);
    store<u8>(d, load<u8>(s, 2), 2);
  }
}
