import { describe, expect, it } from 'vitest';
import { FrameBufferPool } from '../../src/video/framePool.ts';

describe('FrameBufferPool', () => {
  it('hands a returned buffer out again for the same size only', () => {
    const pool = new FrameBufferPool();
    const first = pool.take(100);
    expect(first.byteLength).toBe(100);
    pool.give(first);
    expect(pool.take(50)).not.toBe(first);
    expect(pool.take(100)).toBe(first);
    expect(pool.take(100)).not.toBe(first);
  });

  it('ignores detached buffers and keeps at most its limit, dropping the oldest', () => {
    const pool = new FrameBufferPool(2);
    const detached = new ArrayBuffer(8);
    structuredClone(detached, { transfer: [detached] });
    pool.give(detached);
    expect(pool.size).toBe(0);
    const [a, b, c] = [new ArrayBuffer(8), new ArrayBuffer(8), new ArrayBuffer(8)];
    pool.give(a);
    pool.give(b);
    pool.give(c);
    expect(pool.size).toBe(2);
    const taken = [pool.take(8), pool.take(8)];
    // (identity, not contents: the three buffers hold the same zeros)
    expect([taken.includes(b), taken.includes(c), taken.includes(a)]).toEqual([true, true, false]);
  });
});
