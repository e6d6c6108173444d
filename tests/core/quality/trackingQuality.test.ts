import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assessTracking, JUMP_IOD, LOW_CONFIDENCE, TRACK_GAP, type FrameQualityInput } from '../../../src/core/quality/trackingQuality.ts';
import { sharedPath, sharedSkipReason, suiteTitle, REFERENCE_DIR } from '../../helpers/shared.ts';

/** A face with eyes 40 px apart, moved by (dx, dy). */
function face(dx: number, dy = 0): Float64Array {
  const l = new Float64Array(136);
  for (let k = 0; k < 68; k++) {
    l[k] = 100 + (k % 10) * 4 + dx;
    l[68 + k] = 100 + Math.floor(k / 10) * 4 + dy;
  }
  l[36] = 100 + dx;
  l[45] = 140 + dx;
  l[68 + 36] = l[68 + 45] = 110 + dy;
  return l;
}

function rows(count: number, at: (f: number) => Partial<FrameQualityInput> & { dx?: number }): FrameQualityInput[] {
  return Array.from({ length: count }, (_, i) => {
    const o = at(i + 1);
    return { frame: i + 1, faceId: 0, success: o.success ?? true, confidence: o.confidence ?? 0.98, landmarks: o.landmarks === undefined ? face(o.dx ?? 0) : o.landmarks, redetected: o.redetected };
  });
}

describe('assessTracking', () => {
  it('calls a steady, confident track good', () => {
    const q = assessTracking(rows(300, (f) => ({ dx: Math.sin(f / 10) * 3 })));
    expect(q.verdict).toBe('good');
    expect(q.ranges).toEqual([]);
  });

  it('flags a jump and the start of the track before an early jump', () => {
    // the fit sits 40 px off for 30 frames, then jumps onto the face (a correction): 1 IOD
    const q = assessTracking(rows(300, (f) => ({ dx: f <= 30 ? -40 : 0 })));
    expect(q.verdict).toBe('check');
    expect(q.jumps).toEqual([31]);
    expect(q.startSuspect).toMatchObject({ first: 1, last: 30, correctedAt: 31, by: 'jump' });
    expect(q.ranges).toEqual([{ first: 1, last: 31, reasons: ['jump'] }]);
    expect(q.summary).toMatch(/^Check frames 1–31/);
    expect(q.summary).toMatch(/start of the track \(frames 1–30\)/);
  });

  it('does not call a jump what stays under the threshold, nor a jump across untracked frames', () => {
    const justUnder = (JUMP_IOD * 40) * 0.9;
    expect(assessTracking(rows(100, (f) => ({ dx: f > 50 ? justUnder : 0 }))).jumps).toEqual([]);
    expect(assessTracking(rows(100, (f) => ({ dx: f > 50 ? justUnder * 1.3 : 0 }))).jumps).toEqual([51]);
    const gap = assessTracking(rows(100, (f) => (f === 50 ? { success: false, landmarks: null } : { dx: f > 50 ? 80 : 0 })));
    expect(gap.jumps).toEqual([]);
  });

  it('takes a re-detection that moves the fit as the correction of a wrong start, across a short loss', () => {
    // frames 1-20 sit 12 px (0.3 IOD) off; 21-24 lost (the validator rejected them); 25 re-detected on the face
    const at = (f: number): Partial<FrameQualityInput> & { dx?: number } =>
      f >= 21 && f <= 24 ? { success: false, landmarks: null } : { dx: f <= 20 ? 12 : 0, redetected: f === 1 || f === 25 };
    const q = assessTracking(rows(300, at));
    expect(q.jumps).toEqual([25]);
    expect(q.startSuspect).toMatchObject({ first: 1, last: 20, correctedAt: 25, by: 'redetection' });
    expect(q.startSuspect!.moveIod).toBeCloseTo(0.3, 5);
    // the same move without a re-detection (CLNF found its way back by itself) is no evidence
    expect(assessTracking(rows(300, (f) => ({ ...at(f), redetected: false }))).startSuspect).toBeNull();
    // nor is a re-detection that lands where the fit was
    expect(assessTracking(rows(300, (f) => ({ ...at(f), dx: 0 }))).startSuspect).toBeNull();
    // a loss longer than TRACK_GAP starts a new track: frames 1-20 are not its start
    const long = assessTracking(rows(300, (f) => (f > 20 && f <= 21 + TRACK_GAP ? { success: false, landmarks: null } : { dx: f <= 20 ? 12 : 0, redetected: f === 22 + TRACK_GAP })));
    expect(long.startSuspect).toBeNull();
  });

  it('grows the suspect start to a second correction early in the same track', () => {
    const q = assessTracking(rows(300, (f) => ({ dx: f <= 6 ? -30 : f <= 8 ? -15 : 0, redetected: f === 9 })));
    expect(q.jumps).toEqual([7, 9]);
    expect(q.startSuspect).toMatchObject({ first: 1, last: 8, correctedAt: 9, by: 'jump' });
  });

  it('merges low-confidence stretches and calls a mostly doubtful video poor', () => {
    const q = assessTracking(rows(300, (f) => ({ confidence: (f >= 100 && f <= 104) || (f >= 110 && f <= 112) ? LOW_CONFIDENCE - 0.1 : 0.95 })));
    expect(q.verdict).toBe('check');
    expect(q.ranges).toEqual([{ first: 100, last: 112, reasons: ['low-confidence'] }]);
    expect(q.lowConfidenceFrames).toBe(8);
    expect(assessTracking(rows(100, (f) => ({ success: f < 40 }))).verdict).toBe('poor');
    expect(assessTracking([]).verdict).toBe('poor');
  });

  it('looks at face 0', () => {
    const other = rows(50, () => ({ confidence: 0.1 })).map((r) => ({ ...r, faceId: 1 }));
    expect(assessTracking([...rows(50, () => ({})), ...other]).verdict).toBe('good');
  });
});

const skip = sharedSkipReason();
describe.skipIf(skip !== null)(suiteTitle("the verdict on OpenFace 2.2's own tracking of the shared videos", skip), () => {
  /** OpenFace 2.2's CSV as the rows the verdict reads */
  function referenceRows(name: string): FrameQualityInput[] {
    const [head, ...lines] = readFileSync(sharedPath(`${REFERENCE_DIR}/${name}`), 'utf8').trim().split('\n');
    const columns = head!.split(',').map((c) => c.trim());
    const at = (c: string) => columns.indexOf(c);
    const [frame, faceId, confidence, success, x0, y0] = [at('frame'), at('face_id'), at('confidence'), at('success'), at('x_0'), at('y_0')];
    return lines.map((line) => {
      const v = line.split(',').map(Number);
      const landmarks = new Float64Array(136);
      for (let k = 0; k < 68; k++) {
        landmarks[k] = v[x0 + k]!;
        landmarks[68 + k] = v[y0 + k]!;
      }
      return { frame: v[frame]!, faceId: v[faceId]!, confidence: v[confidence]!, success: v[success] === 1, landmarks };
    });
  }

  it('calls the lab clips good, and prints every verdict for the record', () => {
    for (const name of readdirSync(sharedPath(REFERENCE_DIR)).filter((n) => n.endsWith('.csv') && !n.endsWith('.raw.csv'))) {
      const q = assessTracking(referenceRows(name));
      console.log(`${name}: ${q.verdict}; ${q.summary}`);
      if (name.startsWith('lab_')) expect(q.verdict, name).toBe('good');
    }
  });
});
