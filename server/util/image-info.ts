// The media type and pixel size of an avatar image, read from its header: XEP-0084 metadata
// carries them (type required, width and height recommended), vcard-temp often lacks them.
// Only the formats avatars come in: PNG, JPEG, GIF and WebP. Anything else is left unknown.

export interface ImageInfo {
  type: string | undefined;
  width: number | undefined;
  height: number | undefined;
}

const unknown: ImageInfo = { type: undefined, width: undefined, height: undefined };

export function imageInfo(bytes: Buffer): ImageInfo {
  try {
    return png(bytes) ?? gif(bytes) ?? jpeg(bytes) ?? webp(bytes) ?? unknown;
  } catch {
    // A header cut short reads past the end; a truncated image simply has no known size.
    return unknown;
  }
}

const pngSignature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** PNG (RFC 2083 §3.1, §4.1.1): the signature, then IHDR with width and height first. */
function png(b: Buffer): ImageInfo | undefined {
  if (b.length < 24 || !b.subarray(0, 8).equals(pngSignature)) return undefined;
  if (b.toString('latin1', 12, 16) !== 'IHDR') return { ...unknown, type: 'image/png' };
  return { type: 'image/png', width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

/** GIF87a/89a: the logical screen size follows the six-byte signature, little-endian. */
function gif(b: Buffer): ImageInfo | undefined {
  const signature = b.toString('latin1', 0, 6);
  if (signature !== 'GIF87a' && signature !== 'GIF89a') return undefined;
  return { type: 'image/gif', width: b.readUInt16LE(6), height: b.readUInt16LE(8) };
}

/** JPEG: walk the marker segments to the first start-of-frame (SOF0..SOF15 but DHT, JPG, DAC). */
function jpeg(b: Buffer): ImageInfo | undefined {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return undefined;
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return { ...unknown, type: 'image/jpeg' };
    const marker = b[i + 1]!;
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd9)) {
      i += 2; // markers without a length
      continue;
    }
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { type: 'image/jpeg', height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
    }
    i += 2 + b.readUInt16BE(i + 2);
  }
  return { ...unknown, type: 'image/jpeg' };
}

/** WebP: a RIFF container whose first chunk is VP8 (lossy), VP8L (lossless) or VP8X (extended). */
function webp(b: Buffer): ImageInfo | undefined {
  if (b.length < 30 || b.toString('latin1', 0, 4) !== 'RIFF' || b.toString('latin1', 8, 12) !== 'WEBP') return undefined;
  const chunk = b.toString('latin1', 12, 16);
  if (chunk === 'VP8 ') return { type: 'image/webp', width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff };
  if (chunk === 'VP8L') {
    const bits = b.readUInt32LE(21);
    return { type: 'image/webp', width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X') return { type: 'image/webp', width: b.readUIntLE(24, 3) + 1, height: b.readUIntLE(27, 3) + 1 };
  return { ...unknown, type: 'image/webp' };
}
