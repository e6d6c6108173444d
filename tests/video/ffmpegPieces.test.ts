import { describe, expect, it } from 'vitest';
import { VideoInputError } from '../../src/core/errors.ts';
import { truncationFromHeader } from '../../src/video/containerSize.ts';
import { parseProbe } from '../../src/video/ffprobeInfo.ts';
import { assertConvertible } from '../../src/video/frameSupport.ts';
import { ffmpegPixelFormat, packedLayout, webCodecsPixelFormat } from '../../src/video/pixelFormats.ts';
import { createShowinfoParser } from '../../src/video/showinfoLog.ts';

describe('showinfo log', () => {
  it('gives exact times from pts and the time base, NaN without pts, null for other lines', () => {
    const parser = createShowinfoParser();
    expect(parser.line('[Parsed_showinfo_0 @ 0xfd2c60] config in time_base: 1/15360, frame_rate: 30/1')).toBeNull();
    expect(parser.line('[Parsed_showinfo_0 @ 0xfd2c60] n:   1 pts:    512 pts_time:0.0333333 pos: 1 fmt:yuv420p')).toBe(512 / 15360);
    expect(parser.line('[Parsed_showinfo_0 @ 0x1] n: 500 pts:NOPTS pts_time:NOPTS pos: 1')).toBeNaN();
    expect(parser.line('frame=  324 fps=0.0 q=-0.0 Lsize=   36450kB')).toBeNull();
  });

  it('falls back to pts_time when the time base line was not seen', () => {
    expect(createShowinfoParser().line('[Parsed_showinfo_0 @ 0x1] n:   0 pts:     72 pts_time:0.072   pos: 5300')).toBe(0.072);
  });
});

const probe = (stream: Record<string, unknown>, format: Record<string, unknown> = { format_name: 'avi', duration: '12.96' }): string => JSON.stringify({ streams: [stream], format });
const mpeg4 = { codec_type: 'video', codec_name: 'mpeg4', codec_long_name: 'MPEG-4 part 2', codec_tag_string: 'FMP4', pix_fmt: 'yuv420p', width: 320, height: 240, nb_frames: '324', avg_frame_rate: '25/1' };

describe('ffprobe JSON', () => {
  it('reads the first video stream', () => {
    expect(parseProbe('a.avi', probe(mpeg4), '')).toEqual({
      codec: 'mpeg4',
      pixelFormat: 'yuv420p',
      width: 320,
      height: 240,
      rotation: 0,
      mirrored: false,
      hdr: null,
      frameCountHint: 324,
      durationSeconds: 12.96,
      frameRate: 25,
      container: 'avi',
    });
  });

  it('turns display-matrix rotation (counter-clockwise) into the clockwise turn to apply', () => {
    expect(parseProbe('p.mov', probe({ ...mpeg4, side_data_list: [{ rotation: -90 }] }), '').rotation).toBe(90);
    expect(parseProbe('p.mov', probe({ ...mpeg4, tags: { rotate: '270' } }), '').rotation).toBe(270);
  });

  it("reads the display matrix's mirror flag as ffmpeg 5.1's autorotation does", () => {
    const matrix = (m: number[]): string => `\n00000000: ${m[0]} ${m[1]} 0\n00000001: ${m[3]} ${m[4]} 0\n00000002: 0 0 1073741824\n`;
    const orient = (m: number[]): { rotation: number; mirrored: boolean } => {
      const s = parseProbe('p.mov', probe({ ...mpeg4, side_data_list: [{ displaymatrix: matrix(m), rotation: 0 }] }), '');
      return { rotation: s.rotation, mirrored: s.mirrored };
    };
    // ffprobe's portrait clip: 0 65536 / -65536 0 -> transpose=clock
    expect(orient([0, 65536, 0, -65536, 0, 0])).toEqual({ rotation: 90, mirrored: false });
    // a front camera's left-right mirror: hflip
    expect(orient([-65536, 0, 0, 0, 65536, 0])).toEqual({ rotation: 0, mirrored: true });
    // upside down by a flip: vflip = a half turn, then a mirror
    expect(orient([65536, 0, 0, 0, -65536, 0])).toEqual({ rotation: 180, mirrored: true });
    // a mirrored quarter turn: transpose=cclock_flip
    expect(orient([0, 65536, 0, 65536, 0, 0])).toEqual({ rotation: 90, mirrored: true });
  });

  it('says when the source is HDR by its transfer tag', () => {
    expect(parseProbe('h.mp4', probe({ ...mpeg4, color_transfer: 'arib-std-b67', color_primaries: 'bt2020' }), '').hdr).toEqual({ transfer: 'hlg', primaries: 'bt2020', toneMapping: 'none' });
    expect(parseProbe('h.mp4', probe({ ...mpeg4, color_transfer: 'smpte2084' }), '').hdr).toEqual({ transfer: 'pq', primaries: null, toneMapping: 'none' });
    expect(parseProbe('h.mp4', probe({ ...mpeg4, color_transfer: 'bt709' }), '').hdr).toBeNull();
  });

  it('explains what is wrong', () => {
    expect(() => parseProbe('notes.mp4', null, 'file:/input/notes.mp4: Invalid data found when processing input')).toThrow(
      new VideoInputError('notes.mp4: not a video file, or a damaged one (ffmpeg: Invalid data found when processing input)'),
    );
    expect(() => parseProbe('song.mp4', JSON.stringify({ streams: [{ codec_type: 'audio' }], format: {} }), '')).toThrow(/song\.mp4: the file has no video stream/);
    expect(() => parseProbe('x.avi', probe({ ...mpeg4, codec_name: undefined, codec_tag_string: 'QQQ1' }), '')).toThrow(/codec "QQQ1" is not supported/);
    expect(() => parseProbe('x.avi', probe({ ...mpeg4, width: 0 }), '')).toThrow(/cannot be decoded here/);
  });
});

describe('pixel formats', () => {
  it('maps decoder formats, full range only for the J ones', () => {
    expect(ffmpegPixelFormat('yuvj420p')).toEqual({ format: 'I420', fullRange: true });
    expect(ffmpegPixelFormat('yuv422p')).toEqual({ format: 'I422', fullRange: false });
    expect(ffmpegPixelFormat('yuv420p10le')).toEqual({ format: 'I420P10', fullRange: false });
    expect(ffmpegPixelFormat('yuvj444p')).toEqual({ format: 'I444', fullRange: true });
    expect(ffmpegPixelFormat('nv12')).toBeNull();
    expect(ffmpegPixelFormat('gbrp')).toBeNull();
    expect(webCodecsPixelFormat('I420A')).toBe('I420');
    expect(webCodecsPixelFormat('I444P12')).toBe('I444P12');
    expect(webCodecsPixelFormat('RGBA')).toBeNull();
  });

  it("lays planes out as ffmpeg's rawvideo does (odd sizes round chroma up)", () => {
    expect(packedLayout('I420', 5, 3)).toEqual({ planes: [{ offset: 0, stride: 5 }, { offset: 15, stride: 3 }, { offset: 21, stride: 3 }], byteLength: 27 });
    expect(packedLayout('NV12', 4, 2)).toEqual({ planes: [{ offset: 0, stride: 4 }, { offset: 8, stride: 4 }], byteLength: 12 });
    expect(packedLayout('I422', 4, 2)).toEqual({ planes: [{ offset: 0, stride: 4 }, { offset: 8, stride: 2 }, { offset: 12, stride: 2 }], byteLength: 16 });
    // 16-bit words: strides and offsets in bytes
    expect(packedLayout('I420P10', 5, 3)).toEqual({ planes: [{ offset: 0, stride: 10 }, { offset: 30, stride: 6 }, { offset: 42, stride: 6 }], byteLength: 54 });
    expect(packedLayout('I444', 3, 1)).toEqual({ planes: [{ offset: 0, stride: 3 }, { offset: 3, stride: 3 }, { offset: 6, stride: 3 }], byteLength: 9 });
  });
});

describe('what converts exactly', () => {
  it('accepts odd sizes and high bit depths, refuses 4:2:2 turned a quarter and other pixel formats, naming them', () => {
    expect(() => assertConvertible('g.avi', 'I420', 'yuv420p', { width: 320, height: 239, rotation: 0 })).not.toThrow();
    expect(() => assertConvertible('h.mp4', 'I420P10', 'yuv420p10le', { width: 1080, height: 1920, rotation: 90 })).not.toThrow();
    expect(() => assertConvertible('q.mov', 'I422', 'yuv422p', { width: 320, height: 240, rotation: 180 })).not.toThrow();
    expect(() => assertConvertible('q.mov', 'I422P10', 'yuv422p10le', { width: 320, height: 240, rotation: 90 })).toThrow(/4:2:2 video turned a quarter/);
    expect(() => assertConvertible('r.mkv', null, 'gbrp', { width: 320, height: 240, rotation: 0 })).toThrow(/pixel format gbrp is not supported/);
  });
});

describe('container sizes', () => {
  const riff = (declared: number): Uint8Array => {
    const head = new Uint8Array(12);
    head.set([82, 73, 70, 70], 0);
    new DataView(head.buffer).setUint32(4, declared - 8, true);
    head.set([65, 86, 73, 32], 8);
    return head;
  };
  it('spots an AVI shorter than its header says', () => {
    expect(truncationFromHeader(riff(1000), 600)).toBe('its header announces 1000 bytes but the file has 600');
    expect(truncationFromHeader(riff(1000), 1000)).toBeNull();
    expect(truncationFromHeader(new TextEncoder().encode('ftypisom1234'), 10)).toBeNull();
  });
});
