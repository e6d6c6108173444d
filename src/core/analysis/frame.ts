import type { BgrImage } from '../image.ts';

/** One decoded frame: OpenCV's BGR bytes (upright) and its own presentation time. */
export interface DecodedFrame {
  /** 0-based decode order index */
  readonly index: number;
  /** seconds from the first frame's presentation time */
  readonly timestamp: number;
  readonly image: BgrImage;
}
