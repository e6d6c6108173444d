/**
 * Frame times from ffmpeg's `showinfo` filter log (one line per frame that
 * leaves the decoder, printed before the frame is written out). The integer
 * pts and the filter's time base give the exact time; `pts_time` is only
 * printed to 6 significant digits, so it is the fallback.
 */

export interface ShowinfoParser {
  /** feeds one log line; returns the frame's time in seconds (NaN for a frame without pts), or null for other lines */
  line(text: string): number | null;
}

export function createShowinfoParser(): ShowinfoParser {
  let timeBase: { num: number; den: number } | null = null;
  return {
    line(text) {
      if (!text.includes('showinfo')) return null;
      const config = /config in time_base:\s*(\d+)\/(\d+)/.exec(text);
      if (config) {
        const num = Number(config[1]);
        const den = Number(config[2]);
        timeBase = num > 0 && den > 0 ? { num, den } : null;
        return null;
      }
      const frame = /\bn:\s*\d+\s+pts:\s*(-?\d+|NOPTS)\s+pts_time:\s*(\S+)/.exec(text);
      if (!frame) return null;
      if (frame[1] === 'NOPTS') return Number.NaN;
      // pts * num / den in this order: exact for every integer time base in use (1/25, 1/15360, 1001/30000...)
      if (timeBase !== null) return (Number(frame[1]) * timeBase.num) / timeBase.den;
      const seconds = Number(frame[2]);
      return Number.isFinite(seconds) ? seconds : Number.NaN;
    },
  };
}
