import { describe, expect, it } from 'vitest';
import { CrashWatch } from '../../src/worker/crashWatch.ts';

describe('CrashWatch', () => {
  it('passes a call\'s value and error through while the worker lives', async () => {
    const watch = new CrashWatch();
    await expect(watch.race(Promise.resolve(7))).resolves.toBe(7);
    await expect(watch.race(Promise.reject(new Error('bad frame')))).rejects.toThrow('bad frame');
  });

  it('fails the calls in flight and every later call with the crash', async () => {
    const watch = new CrashWatch();
    const pending = watch.race(new Promise<number>(() => {}));
    watch.crash(new Error('the worker stopped'));
    watch.crash(new Error('a second report'));
    await expect(pending).rejects.toThrow('the worker stopped');
    await expect(watch.race(Promise.resolve(1))).rejects.toThrow('the worker stopped');
  });

  it('a call that settled before the crash keeps its value', async () => {
    const watch = new CrashWatch();
    const done = watch.race(Promise.resolve('rows'));
    await expect(done).resolves.toBe('rows');
    watch.crash(new Error('later'));
    await expect(done).resolves.toBe('rows');
  });
});
