/**
 * What a whole source track says before anything is mirrored: each frame's
 * geometric measures (with the smoothed midline), its flag, which frames the
 * summaries use, and the notes a user must read (no face at all, a face in
 * profile, frames without a face, no head pose without the models).
 */
import { FRAME_RECORD_LENGTH, measureFrame } from './faceGeometry.ts';
import type { MirrorFlag } from './mirrorQuality.ts';
import type { MirrorTrack } from './mirrorTrack.ts';

export interface TrackAssessment {
  /** FRAME_RECORD_LENGTH values per frame (faceGeometry.ts) */
  readonly records: Float64Array;
  /** 1 where a frame enters the summaries: flag ok, or, when no frame is ok, the turned frames */
  readonly usable: Uint8Array;
  readonly flags: Record<MirrorFlag, number>;
  readonly facesFound: number;
  /** frames flagged yaw or face-lost (kept and marked, never dropped) */
  readonly flagged: number;
  readonly notes: string[];
}

/** `hasPose`: the source tracker gives head pose (the OpenFace folder); without it the yaw flag cannot fire. */
export function assessTrack(track: MirrorTrack, hasPose: boolean): TrackAssessment {
  const records = new Float64Array(track.frames * FRAME_RECORD_LENGTH);
  const usable = new Uint8Array(track.frames);
  const flags: Record<MirrorFlag, number> = { ok: 0, yaw: 0, 'face-lost': 0 };
  for (let f = 0; f < track.frames; f++) {
    measureFrame(track.landmarksAt(f), track.midline(f), records.subarray(f * FRAME_RECORD_LENGTH, (f + 1) * FRAME_RECORD_LENGTH));
    const flag = track.quality(f).flag;
    flags[flag]++;
    usable[f] = flag === 'ok' ? 1 : 0;
  }
  const facesFound = track.frames - flags['face-lost'];
  const notes: string[] = [];
  if (facesFound === 0) notes.push('no face was found in any frame: the mirrored videos are copies of the source (the left one flipped, as every left face is written), and there are no measures');
  else if (flags.ok === 0) {
    // nothing is frontal: summarise what there is rather than nothing, and say so
    for (let f = 0; f < track.frames; f++) usable[f] = track.quality(f).flag === 'yaw' ? 1 : 0;
    notes.push(`the face is turned away from the camera (|yaw| > 5 deg) in all ${facesFound} frames with a face (a profile?): mirroring assumes a frontal face, so every frame is flagged and the summaries, made from these frames, are unreliable`);
  } else if (flags.yaw > flags.ok) {
    notes.push(`the face is turned away from the camera (|yaw| > 5 deg) in ${flags.yaw} of the ${facesFound} frames with a face: mirroring assumes a frontal face, so these frames are flagged and left out of the summaries`);
  }
  if (flags['face-lost'] > 0 && facesFound > 0) notes.push(`${flags['face-lost']} frames without a face pass through unmirrored (flag face-lost)`);
  if (!hasPose) notes.push('no OpenFace model folder: geometric measures only (no AU CSVs, no head pose; the yaw flag needs the folder)');
  return { records, usable, flags, facesFound, flagged: flags.yaw + flags['face-lost'], notes };
}
