import { describe, expect, it } from 'vitest';
import { FrameChannel } from '../../src/worker/frameChannel.ts';

/** Resolves to whether `promise` settled within a few turns of the event loop. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true), () => (done = true));
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
  return done;
}

describe('FrameChannel', () => {
  it('hands items over in order; a push resolves only once the consumer asks for the next item', async () => {
    const channel = new FrameChannel<number>();
    const seen: number[] = [];
    const consumer = (async () => {
      for await (const n of channel) seen.push(n);
    })();
    const first = channel.push(1);
    expect(await settled(first)).toBe(true); // the consumer was waiting: taken and the next one asked for
    const iterator = new FrameChannel<number>();
    const held = iterator[Symbol.asyncIterator]();
    const pushed = iterator.push(7);
    await held.next();
    expect(await settled(pushed)).toBe(false); // in the consumer's hands
    void held.next();
    expect(await settled(pushed)).toBe(true);
    await channel.push(2);
    channel.end();
    await consumer;
    expect(seen).toEqual([1, 2]);
  });

  it('fail makes the consumer throw; stop releases every push', async () => {
    const channel = new FrameChannel<number>();
    const pulls = (async () => {
      for await (const _ of channel) {
        // consume
      }
    })();
    channel.fail(new Error('decoder broke'));
    await expect(pulls).rejects.toThrow('decoder broke');
    const other = new FrameChannel<number>();
    const waiting = other.push(3);
    expect(await settled(waiting)).toBe(false);
    other.stop();
    expect(await settled(waiting)).toBe(true);
    await expect(other.push(4)).resolves.toBeUndefined();
  });

  it('a consumer that breaks out releases the item it held and drops later pushes', async () => {
    const channel = new FrameChannel<number>();
    const consumer = (async () => {
      for await (const n of channel) if (n === 2) break;
    })();
    await channel.push(1);
    const second = channel.push(2);
    await consumer;
    expect(await settled(second)).toBe(true);
    await expect(channel.push(3)).resolves.toBeUndefined();
  });
});
