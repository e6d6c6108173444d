/**
 * SSD anchors exactly as MediaPipe's SsdAnchorsCalculator builds them
 * (mediapipe/calculators/tflite/ssd_anchors_calculator.cc): consecutive
 * layers with the same stride share one feature map, and their anchors are
 * interleaved per cell in layer order. BlazeFace uses fixed-size anchors
 * (w = h = 1), so only centres and per-cell counts matter there, but the
 * scale/aspect sizes are computed too for models that use them.
 */

export interface SsdAnchorOptions {
  readonly inputWidth: number;
  readonly inputHeight: number;
  readonly minScale: number;
  readonly maxScale: number;
  /** one stride per layer; num_layers = strides.length */
  readonly strides: readonly number[];
  readonly aspectRatios: readonly number[];
  readonly anchorOffsetX: number;
  readonly anchorOffsetY: number;
  readonly interpolatedScaleAspectRatio: number;
  readonly reduceBoxesInLowestLayer: boolean;
  readonly fixedAnchorSize: boolean;
}

/** Anchors as parallel arrays (centres and sizes normalised to the input). */
export interface SsdAnchors {
  readonly count: number;
  readonly xCenter: Float32Array;
  readonly yCenter: Float32Array;
  readonly width: Float32Array;
  readonly height: Float32Array;
}

function calculateScale(minScale: number, maxScale: number, strideIndex: number, numStrides: number): number {
  if (numStrides === 1) return (minScale + maxScale) * 0.5;
  return minScale + ((maxScale - minScale) * strideIndex) / (numStrides - 1);
}

export function generateSsdAnchors(o: SsdAnchorOptions): SsdAnchors {
  const xs: number[] = [];
  const ys: number[] = [];
  const ws: number[] = [];
  const hs: number[] = [];
  const numLayers = o.strides.length;
  let layer = 0;
  while (layer < numLayers) {
    const anchorHeights: number[] = [];
    const anchorWidths: number[] = [];
    const aspectRatios: number[] = [];
    const scales: number[] = [];
    let last = layer;
    while (last < numLayers && o.strides[last] === o.strides[layer]) {
      const scale = calculateScale(o.minScale, o.maxScale, last, numLayers);
      if (last === 0 && o.reduceBoxesInLowestLayer) {
        aspectRatios.push(1, 2, 0.5);
        scales.push(0.1, scale, scale);
      } else {
        for (const ratio of o.aspectRatios) { aspectRatios.push(ratio); scales.push(scale); }
        if (o.interpolatedScaleAspectRatio > 0) {
          const next = last === numLayers - 1 ? 1 : calculateScale(o.minScale, o.maxScale, last + 1, numLayers);
          scales.push(Math.sqrt(scale * next));
          aspectRatios.push(o.interpolatedScaleAspectRatio);
        }
      }
      last++;
    }
    for (let i = 0; i < aspectRatios.length; i++) {
      const ratioSqrt = Math.sqrt(aspectRatios[i]);
      anchorHeights.push(scales[i] / ratioSqrt);
      anchorWidths.push(scales[i] * ratioSqrt);
    }
    const stride = o.strides[layer];
    const rows = Math.ceil(o.inputHeight / stride);
    const cols = Math.ceil(o.inputWidth / stride);
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < cols; x++) {
        for (let a = 0; a < anchorHeights.length; a++) {
          xs.push((x + o.anchorOffsetX) / cols);
          ys.push((y + o.anchorOffsetY) / rows);
          ws.push(o.fixedAnchorSize ? 1 : anchorWidths[a]);
          hs.push(o.fixedAnchorSize ? 1 : anchorHeights[a]);
        }
      }
    }
    layer = last;
  }
  return { count: xs.length, xCenter: Float32Array.from(xs), yCenter: Float32Array.from(ys), width: Float32Array.from(ws), height: Float32Array.from(hs) };
}
