/** Clips of every frame size among the references (sizes of the frames 2.2 saw). */
export const REFERENCE_CLIPS: readonly [string, number, number][] = [
  ['0188_03_021_al_pacino', 320, 240],
  ['0490_03_007_bill_gates', 320, 239],
  ['odd_321x239_h264', 321, 239],
  ['lab_640x480_h264', 640, 480],
  ['multi_face', 640, 480],
  ['lab_portrait_rot90_h264', 360, 480],
  ['lab_1080p60_h264', 1440, 1080],
  ['phone_hevc10_hlg_1080x1920_60', 1080, 1920],
];
