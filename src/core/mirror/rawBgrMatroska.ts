/**
 * A minimal Matroska stream of raw BGR24 frames, each with its own
 * presentation time, to feed the system ffmpeg through a pipe. Raw frames
 * piped as `-f rawvideo` get a constant frame rate; a variable-rate phone
 * video would come out with other timestamps than its source. Matroska
 * carries a timestamp per block, and ffmpeg reads raw BGR in it in its
 * "VFW" form (CodecID V_MS/VFW/FOURCC with a BITMAPINFOHEADER, top-down
 * rows padded to 4 bytes). Timestamps are in microseconds (TimestampScale
 * 1000 ns); every frame is its own cluster, so block offsets never overflow.
 */

const UNKNOWN_SIZE = Uint8Array.of(0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

function idBytes(id: number): number[] {
  const bytes: number[] = [];
  for (let v = id; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return bytes;
}

/** An 8-byte EBML size (0x01 then 7 bytes): always valid, simple. */
function sizeBytes(size: number): number[] {
  const bytes = [0x01];
  for (let i = 6; i >= 0; i--) bytes.push(Math.floor(size / 2 ** (8 * i)) & 0xff);
  return bytes;
}

function element(id: number, data: Uint8Array): Uint8Array {
  const head = [...idBytes(id), ...sizeBytes(data.length)];
  const out = new Uint8Array(head.length + data.length);
  out.set(head);
  out.set(data, head.length);
  return out;
}

function uint(id: number, value: number): Uint8Array {
  const bytes: number[] = [];
  for (let v = value; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return element(id, Uint8Array.from(bytes.length ? bytes : [0]));
}

function text(id: number, value: string): Uint8Array {
  return element(id, new TextEncoder().encode(value));
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Row stride of a BI_RGB bitmap: 3 bytes a pixel, padded to 4. */
export function vfwRowBytes(width: number): number {
  return (width * 3 + 3) & ~3;
}

function bitmapInfoHeader(width: number, height: number): Uint8Array {
  const header = new DataView(new ArrayBuffer(40));
  header.setUint32(0, 40, true); // biSize
  header.setInt32(4, width, true);
  header.setInt32(8, -height, true); // negative: rows top-down
  header.setUint16(12, 1, true); // planes
  header.setUint16(14, 24, true); // bits per pixel
  header.setUint32(16, 0, true); // BI_RGB
  header.setUint32(20, vfwRowBytes(width) * height, true);
  return new Uint8Array(header.buffer);
}

/** The stream's start: EBML header, an open-ended Segment, Info and the one video track. */
export function matroskaHeader(width: number, height: number): Uint8Array {
  const ebml = element(0x1a45dfa3, concat([uint(0x4286, 1), uint(0x42f7, 1), uint(0x42f2, 4), uint(0x42f3, 8), text(0x4282, 'matroska'), uint(0x4287, 4), uint(0x4285, 2)]));
  const info = element(0x1549a966, concat([uint(0x2ad7b1, 1000), text(0x4d80, 'splitface'), text(0x5741, 'splitface')]));
  const video = element(0xe0, concat([uint(0xb0, width), uint(0xba, height)]));
  const track = element(0xae, concat([
    uint(0xd7, 1), uint(0x73c5, 1), uint(0x83, 1), uint(0x9c, 0),
    text(0x86, 'V_MS/VFW/FOURCC'), element(0x63a2, bitmapInfoHeader(width, height)), video,
  ]));
  const tracks = element(0x1654ae6b, track);
  return concat([ebml, Uint8Array.from([0x18, 0x53, 0x80, 0x67]), UNKNOWN_SIZE, info, tracks]);
}

/**
 * One frame (tightly packed BGR24 rows) as a cluster at `microseconds`: the
 * cluster's head, its timestamp and the SimpleBlock's head, then the rows,
 * written into one buffer (the frame is copied once).
 */
export function matroskaFrame(bgr: Uint8Array, width: number, height: number, microseconds: number): Uint8Array {
  const stride = vfwRowBytes(width);
  const pixels = stride * height;
  const blockHead = [0x81, 0x00, 0x00, 0x80]; // track number 1 as a 1-byte vint, int16 relative time 0, flags: keyframe
  const timestamp = uint(0xe7, microseconds);
  const blockSize = blockHead.length + pixels;
  const blockElementHead = [...idBytes(0xa3), ...sizeBytes(blockSize)];
  const clusterSize = timestamp.length + blockElementHead.length + blockSize;
  const head = Uint8Array.from([...idBytes(0x1f43b675), ...sizeBytes(clusterSize), ...timestamp, ...blockElementHead, ...blockHead]);
  const out = new Uint8Array(head.length + pixels);
  out.set(head);
  const packed = width * 3;
  if (stride === packed) out.set(bgr.subarray(0, packed * height), head.length);
  else for (let y = 0; y < height; y++) out.set(bgr.subarray(y * packed, (y + 1) * packed), head.length + y * stride);
  return out;
}
