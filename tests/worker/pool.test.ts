import { describe, expect, it } from 'vitest';
import { QUEUE_BYTES, QUEUE_DEPTH, framesInFlightLimit } from '../../src/worker/pool.ts';

describe('framesInFlightLimit: the queue to a worker is bounded in bytes as well as frames', () => {
  it('keeps the full depth for small frames and fewer, never under two, for large ones', () => {
    const i420 = (w: number, h: number) => (w * h * 3) / 2;
    expect(framesInFlightLimit(i420(640, 480))).toBe(QUEUE_DEPTH);
    const k4 = framesInFlightLimit(i420(3840, 2160));
    expect(k4).toBeLessThan(QUEUE_DEPTH);
    expect(k4 * i420(3840, 2160)).toBeLessThanOrEqual(QUEUE_BYTES);
    expect(framesInFlightLimit(3840 * 2160 * 4 * 4)).toBe(2);
    expect(framesInFlightLimit(0)).toBe(QUEUE_DEPTH);
  });
});
