import { describe, expect, it } from 'vitest';
import { imageInfo } from '../../../server/util/image-info.js';

const png1x1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const gif2x1 = Buffer.from('R0lGODlhAgABAIAAAAAAAP///yH5BAEAAAAALAAAAAACAAEAAAICBAoAOw==', 'base64');

/** SOI, an APP0 (JFIF) segment, then a baseline SOF0 for 5x3 pixels. */
const jpeg5x3 = Buffer.from([
  0xff, 0xd8,
  0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
  0xff, 0xc0, 0x00, 0x11, 0x08, 0x00, 0x03, 0x00, 0x05, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01,
  0xff, 0xd9,
]);

function webp(chunk: string, body: number[]): Buffer {
  const header = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBP'), Buffer.from(chunk), Buffer.alloc(4)]);
  return Buffer.concat([header, Buffer.from(body), Buffer.alloc(16)]);
}

describe('image info', () => {
  it('reads the type and size of a PNG', () => {
    expect(imageInfo(png1x1)).toEqual({ type: 'image/png', width: 1, height: 1 });
  });

  it('reads the type and size of a GIF', () => {
    expect(imageInfo(gif2x1)).toEqual({ type: 'image/gif', width: 2, height: 1 });
  });

  it('reads the size of a JPEG from its first frame header', () => {
    expect(imageInfo(jpeg5x3)).toEqual({ type: 'image/jpeg', width: 5, height: 3 });
  });

  it('reads the size of extended, lossless and lossy WebP images', () => {
    // VP8X: flags, then width-1 and height-1 in three bytes each.
    expect(imageInfo(webp('VP8X', [0, 0, 0, 0, 99, 0, 0, 49, 0, 0]))).toEqual({ type: 'image/webp', width: 100, height: 50 });
    // VP8L: the signature byte, then 14 bits of width-1 and 14 of height-1.
    const bits = 99 | (49 << 14);
    expect(imageInfo(webp('VP8L', [0x2f, bits & 0xff, (bits >> 8) & 0xff, (bits >> 16) & 0xff, (bits >> 24) & 0xff]))).toEqual({
      type: 'image/webp',
      width: 100,
      height: 50,
    });
    // VP8: a frame tag, the start code, then 14-bit width and height.
    expect(imageInfo(webp('VP8 ', [0, 0, 0, 0x9d, 0x01, 0x2a, 100, 0, 50, 0]))).toEqual({ type: 'image/webp', width: 100, height: 50 });
  });

  it('knows the type but not the size of a truncated image', () => {
    expect(imageInfo(jpeg5x3.subarray(0, 12))).toEqual({ type: 'image/jpeg', width: undefined, height: undefined });
  });

  it('knows nothing about bytes that are no image', () => {
    expect(imageInfo(Buffer.from('hello, world, this is not an image'))).toEqual({ type: undefined, width: undefined, height: undefined });
  });
});
