/**
 * A cut-off download or copy is the usual damaged video. Some containers
 * say their own length up front; comparing it with the file's size tells
 * a truncated file from a complete one whose decoder simply stopped.
 * (MP4/MOV need no such check: their sample tables list every frame, so
 * a missing frame is visible directly.)
 */

/** Why the header's declared size says the file is cut short, or null. `head` is the file's first bytes (12 suffice). */
export function truncationFromHeader(head: Uint8Array, fileSize: number): string | null {
  if (head.length < 12) return null;
  const view = new DataView(head.buffer, head.byteOffset, head.length);
  const fourcc = (at: number): string => String.fromCharCode(head[at], head[at + 1], head[at + 2], head[at + 3]);
  // RIFF (AVI): "RIFF", little-endian size of what follows the first 8 bytes, form type.
  // An AVI over 1 GiB continues in "AVIX" RIFF chunks after the first, so only a first chunk that overruns the file counts.
  if (fourcc(0) === 'RIFF' && (fourcc(8) === 'AVI ' || fourcc(8) === 'AVIX')) {
    const declared = view.getUint32(4, true) + 8;
    if (declared > fileSize) return `its header announces ${declared} bytes but the file has ${fileSize}`;
  }
  return null;
}

export async function truncationOf(file: Blob): Promise<string | null> {
  const head = new Uint8Array(await file.slice(0, 12).arrayBuffer());
  return truncationFromHeader(head, file.size);
}
