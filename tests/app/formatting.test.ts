import { describe, expect, it } from 'vitest';
import { binSeries, formatBytes, formatDuration, formatEta, formatFps, formatPercent, plainMessage } from '../../src/app/formatting.ts';
import { assertConvertible } from '../../src/video/frameSupport.ts';
import { openVideo } from '../../src/video/openVideo.ts';
import { openImageSequence } from '../../src/video/imageSequence.ts';

describe('formatting', () => {
  it('sizes and durations', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(3 * 1024 * 1024)).toBe('3.0 MB');
    expect(formatDuration(28.4)).toBe('0:28');
    expect(formatDuration(125)).toBe('2:05');
  });

  it('time left', () => {
    expect(formatEta(null)).toBe('');
    expect(formatEta(64.2)).toBe('1:05 left');
    expect(formatEta(3725)).toBe('1 h 02 min left');
  });

  it('speed and shares', () => {
    expect(formatFps(0)).toBe('');
    expect(formatFps(7.25)).toBe('7.3 fps');
    expect(formatFps(38.6)).toBe('39 fps');
    expect(formatPercent(null)).toBe('—');
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(0.0567)).toBe('5.7%');
    expect(formatPercent(0.5)).toBe('50%');
  });
});

describe('plainMessage', () => {
  /** words a clinician should not have to know to understand what happened */
  const JARGON = /ffmpeg|opencv|npm|yuv|pix|wasm|4:2:2|codec|webcodecs|success=0|stream|stdout|sha256|http/i;

  it('leads real decoder and image messages with plain words and an action, the original kept as detail', async () => {
    const messages: string[] = [];
    const capture = async (work: () => unknown) => {
      try {
        await work();
      } catch (error) {
        messages.push((error as Error).message);
      }
    };
    await capture(() => assertConvertible('clip.mov', null, 'yuv420p16le', { width: 640, height: 480, rotation: 0 }));
    await capture(() => assertConvertible('clip.mov', 'I422', 'yuv422p', { width: 640, height: 480, rotation: 90 }));
    await capture(() => openVideo(new File([], 'empty.mp4')));
    await capture(() => openImageSequence([new File(['x'], 'notes.txt')]));
    await capture(() => openImageSequence([new File([new Uint8Array([0x49, 0x49, 0x2a, 0])], 'a.tif')]));
    await capture(() => openImageSequence([new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10])], 'a.png')]));
    expect(messages).toHaveLength(6);
    // messages of the decoders, engine and models that need a browser to provoke (as their modules word them)
    messages.push(
      'clip.avi: ffmpeg.wasm could not start (RuntimeError: memory access out of bounds)',
      'clip.mp4: the file is truncated: its index lists 842 frames but the data ends after 300',
      'clip.mkv: the video codec "xyz1" is not supported (neither the browser nor ffmpeg.wasm can decode it)',
      'clip.txt: not a video file, or a damaged one (ffmpeg: Invalid data found when processing input)',
      'the analysis worker stopped: it crashed (out of memory?)',
      'The analysis engine could not start: no WebAssembly SIMD',
      'models/blazeface_back_256.onnx could not be loaded (HTTP 404): the deployment lacks public/models (run npm install or npm run models)',
      '12 frames without a tracked face (success=0): no face found, or the face validator rejected the fit',
    );
    for (const message of messages) {
      const plain = plainMessage(message);
      expect(plain.summary, message).not.toMatch(JARGON);
      expect(plain.action, message).not.toBe('');
      expect(plain.action, message).not.toMatch(/ffmpeg|opencv|npm|yuv|wasm/i);
      expect(plain.detail, message).toContain(message.replace(/[.]$/, ''));
    }
    expect(plainMessage(messages.at(-1)!).summary).toMatch(/12 frames/);
  });

  it('shows a message it does not know as it is, with nothing hidden', () => {
    expect(plainMessage('Something new happened')).toEqual({ summary: 'Something new happened.', action: '', detail: '' });
  });
});

describe('binSeries', () => {
  it('averages each second of tracked frames, leaving untracked frames out', () => {
    const timestamps = [0, 0.5, 1, 1.5, 2];
    const au = [1, 3, NaN, NaN, 4];
    const bins = binSeries(timestamps, [au]);
    expect(bins.map((b) => [b.start, b.end, b.means[0]])).toEqual([
      [0, 1, 2],
      [1, 2, null],
      [2, 3, 4],
    ]);
  });

  it('widens the stretches of a long video to keep the table short', () => {
    const timestamps = Array.from({ length: 3600 * 30 }, (_, i) => i / 30);
    const flat = new Float32Array(timestamps.length).fill(1.5);
    const bins = binSeries(timestamps, [flat], 300);
    expect(bins.length).toBeLessThanOrEqual(300);
    expect(bins[0]!.end - bins[0]!.start).toBe(12);
    expect(bins.every((b) => b.means[0] === 1.5)).toBe(true);
  });
});
