import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

/** A decoded image: HWC float pixels in [0, 1]. */
export interface DecodedImage {
  pixels: Float32Array;
  shape: [number, number, number];
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47];
const JPEG_MAGIC = [0xff, 0xd8, 0xff];

function startsWith(bytes: Uint8Array, magic: number[]): boolean {
  return magic.every((b, i) => bytes[i] === b);
}

/** RGBA bytes -> HWC floats with `channels` channels (alpha dropped; grey is BT.601 luma). */
function fromRgba(rgba: Uint8Array, width: number, height: number, channels: 1 | 3): DecodedImage {
  const pixels = new Float32Array(width * height * channels);
  for (let p = 0; p < width * height; p++) {
    const [r, g, b] = [rgba[4 * p] as number, rgba[4 * p + 1] as number, rgba[4 * p + 2] as number];
    if (channels === 1) {
      pixels[p] = (0.299 * r + 0.587 * g + 0.114 * b) / 255;
    } else {
      pixels[3 * p] = r / 255;
      pixels[3 * p + 1] = g / 255;
      pixels[3 * p + 2] = b / 255;
    }
  }
  return { pixels, shape: [height, width, channels] };
}

/**
 * Decodes a PNG or JPEG file's bytes (recognised by their signature, not the file name) in pure
 * JS with pngjs / jpeg-js. Throws on anything else or on a damaged file.
 */
export function decodeImage(bytes: Uint8Array, channels: 1 | 3): DecodedImage {
  if (startsWith(bytes, PNG_MAGIC)) {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return fromRgba(png.data, png.width, png.height, channels);
  }
  if (startsWith(bytes, JPEG_MAGIC)) {
    const image = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
    return fromRgba(image.data, image.width, image.height, channels);
  }
  throw new Error('not a PNG or JPEG file (unknown signature)');
}
