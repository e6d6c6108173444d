/** Human-readable sizes and durations for the UI. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'unknown length';
  const whole = Math.round(seconds);
  const m = Math.floor(whole / 60);
  const s = whole % 60;
  return `${m}:${String(s).padStart(2, '0')}`;
}

/** Time left, e.g. '1:05 left', '1 h 02 min left'; '' when unknown. */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '';
  const whole = Math.max(0, Math.ceil(seconds));
  if (whole >= 3600) {
    const h = Math.floor(whole / 3600);
    const min = Math.floor((whole % 3600) / 60);
    return `${h} h ${String(min).padStart(2, '0')} min left`;
  }
  return `${formatDuration(whole)} left`;
}

/** Frames per second with sensible precision ('' before the first measurement). */
export function formatFps(fps: number): string {
  if (!(fps > 0)) return '';
  return `${fps < 10 ? fps.toFixed(1) : Math.round(fps)} fps`;
}

/** A share 0..1 as a percentage ('—' when unknown): 0.5 -> '50%', 0.004 -> '0.4%'. */
export function formatPercent(share: number | null): string {
  if (share === null || !Number.isFinite(share)) return '—';
  const pct = share * 100;
  if (pct > 0 && pct < 10) return `${pct.toFixed(1)}%`;
  return `${Math.round(pct)}%`;
}

/** Ends a message with a full stop unless it already ends a sentence ('' stays ''). */
export function asSentence(text: string): string {
  const t = text.trim();
  return t === '' || /[.!?…]$/.test(t) ? t : `${t}.`;
}

/**
 * A message as the page shows it: what happened and what to do, in plain
 * words, with the original (technical) text kept one click away.
 */
export interface PlainMessage {
  /** what happened, one sentence */
  readonly summary: string;
  /** what the user can do ('' when nothing) */
  readonly action: string;
  /** the original message, for the details disclosure ('' when the summary already is it) */
  readonly detail: string;
}

const USE_COMMAND_LINE = 'The SplitFace command line (see the README) reads it exactly; or convert the video to a standard MP4 (H.264).';

/**
 * Known messages of the decoders, the engine and the models (src/video,
 * src/worker, src/models: written for the CLI and for developers), each
 * with the plain sentence the page leads with. First match wins.
 */
const PLAIN_RULES: readonly { readonly test: RegExp; readonly summary: string | ((m: RegExpExecArray) => string); readonly action: string }[] = [
  { test: /the file is empty/i, summary: 'The file is empty.', action: 'Copy it again from where it came from.' },
  {
    test: /(\d+) (face-frames|frames) without a tracked face/i,
    summary: (m) => `No face was tracked in ${m[1]} ${m[1] === '1' ? 'frame' : 'frames'}; those rows are marked success = 0 and have no AU values.`,
    action: 'Check those moments in the video (face turned away, covered or out of the picture).',
  },
  { test: /pixel format \S+ is not supported in the browser/i, summary: "This video's colour format cannot be read exactly in the browser.", action: USE_COMMAND_LINE },
  { test: /4:2:2 video turned a quarter/i, summary: 'This portrait video uses a colour layout the browser version cannot turn upright exactly.', action: USE_COMMAND_LINE },
  { test: /cross-origin isolated/i, summary: 'This site is not set up for the video decoder this file needs.', action: 'Whoever runs this site must send the two isolation headers listed in the README. Other videos (MP4, MOV, WebM) still work.' },
  { test: /codec.* is not supported|cannot be decoded here/i, summary: 'This video is compressed in a format neither the browser nor the built-in decoder can read.', action: 'Convert it to a standard MP4 (H.264) with a video converter, then add it again.' },
  { test: /not a video file|no video stream/i, summary: 'This file is not a video SplitFace can read.', action: 'Check that it plays in a video player. If it does, try the SplitFace command line (see the README).' },
  { test: /no decodable frames|holds no video frames/i, summary: 'No picture could be read from this video.', action: 'Check that it plays in a video player; if it does, try the SplitFace command line (see the README).' },
  {
    test: /truncated|damaged|could not be decoded to its end|stopped in the middle|decoder failed after|reading the video failed after/i,
    summary: 'The video file is incomplete or damaged, so it could not be read to the end.',
    action: 'Copy the file again from its source. Frames read before the damage, if any, are kept as a partial result.',
  },
  { test: /ffmpeg\.wasm (could not start|failed)/i, summary: 'The built-in video decoder stopped working.', action: 'Reload the page and add the video again. If it keeps failing, use the SplitFace command line.' },
  { test: /analysis worker stopped|out of memory/i, summary: 'The analysis stopped: the browser ran out of memory or the page crashed.', action: 'Close other tabs and add the video again, or analyse fewer videos at once.' },
  { test: /analysis engine could not start/i, summary: 'The analysis engine could not start in this browser.', action: 'Reload the page. If it keeps failing, use a current Chrome, Edge, Firefox or Safari.' },
  { test: /models\/.* (could not be loaded|does not match|is not in)|is not valid JSON/i, summary: 'Part of SplitFace (a face-detection model) is missing or damaged on this site.', action: 'Reload the page. If it keeps failing, whoever runs this site must reinstall it (see the README).' },
  { test: /every image of a sequence must be/i, summary: 'The images in this folder are not all the same size.', action: 'Keep only the images of one video (all the same size) in the folder.' },
  { test: /folder holds no images/i, summary: 'This folder holds no images.', action: 'Choose the folder that contains the frames (JPEG, PNG or BMP).' },
  { test: /not a JPEG, PNG or BMP image/i, summary: 'This folder holds images the browser version cannot read (TIFF or WebP).', action: 'Use the SplitFace command line for this folder (see the README), or convert the images to PNG.' },
  { test: /image looks damaged|not a readable (JPEG|image)/i, summary: 'An image in this folder is damaged.', action: 'Replace or remove that image and add the folder again.' },
  { test: /cannot read exactly|does not handle/i, summary: 'An image in this folder uses a variant the browser version cannot read exactly.', action: 'Use the SplitFace command line for this folder (see the README), or save the images again as PNG.' },
];

/** Leads with what happened and what to do; the original text goes to `detail`. Unknown messages are shown as they are. */
export function plainMessage(message: string): PlainMessage {
  const text = asSentence(message);
  for (const rule of PLAIN_RULES) {
    const match = rule.test.exec(text);
    if (!match) continue;
    const summary = typeof rule.summary === 'string' ? rule.summary : rule.summary(match);
    return { summary, action: rule.action, detail: text };
  }
  return { summary: text, action: '', detail: '' };
}

/** One row of the chart's table alternative: a stretch of time and each AU's mean intensity in it. */
export interface SeriesBin {
  readonly start: number;
  readonly end: number;
  /** mean over the stretch's tracked frames, per series; null when none was tracked */
  readonly means: readonly (number | null)[];
}

/**
 * The chart's values as a table a keyboard or screen-reader user can read:
 * mean intensity per stretch of `binSeconds` (at least 1 s, longer for long
 * videos so the table keeps to about `maxRows` rows). NaN (untracked) frames
 * are left out of the means.
 */
export function binSeries(timestamps: ArrayLike<number>, series: readonly ArrayLike<number>[], maxRows = 300): SeriesBin[] {
  const n = timestamps.length;
  if (n === 0) return [];
  const first = timestamps[0]!;
  const span = timestamps[n - 1]! - first;
  const binSeconds = Math.max(1, Math.ceil(span / maxRows));
  const bins: SeriesBin[] = [];
  let start = 0;
  while (start < n) {
    const binIndex = Math.floor((timestamps[start]! - first) / binSeconds);
    let end = start;
    while (end < n && Math.floor((timestamps[end]! - first) / binSeconds) === binIndex) end++;
    const means = series.map((values) => {
      let sum = 0;
      let count = 0;
      for (let i = start; i < end; i++) {
        const v = values[i]!;
        if (Number.isFinite(v)) {
          sum += v;
          count++;
        }
      }
      return count ? sum / count : null;
    });
    bins.push({ start: first + binIndex * binSeconds, end: first + (binIndex + 1) * binSeconds, means });
    start = end;
  }
  return bins;
}
