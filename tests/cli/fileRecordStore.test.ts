import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { FileRecordStore } from '../../src/cli/fileRecordStore.ts';

describe('FileRecordStore (the CLI spills rows to a temporary file)', () => {
  it('reads back what was appended, pending or written, and removes its file on dispose', () => {
    const store = new FileRecordStore(4);
    for (let i = 0; i < 1000; i++) store.append(Uint8Array.of(i & 255, i >> 8, 1, 2));
    expect(store.count).toBe(1000);
    const into = new Uint8Array(8);
    store.read(998, 2, into); // the last records are still in the write batch
    expect(Array.from(into)).toEqual([998 & 255, 3, 1, 2, 999 & 255, 3, 1, 2]);
    store.read(0, 1, into);
    expect(Array.from(into.subarray(0, 4))).toEqual([0, 0, 1, 2]);
    const dir = (store as unknown as { dir: string }).dir;
    expect(existsSync(dir)).toBe(true);
    store.dispose();
    expect(existsSync(dir)).toBe(false);
    expect(() => store.read(0, 1, into)).toThrow(/after dispose/);
  });
});
