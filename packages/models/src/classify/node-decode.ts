// Node's decoder: PNG (pngjs) and JPEG (jpeg-js), pure JS, told apart by their signatures. WebP has
// no maintained pure-JS decoder on npm; it is refused by name.

import { readFile } from 'node:fs/promises';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { fromRgba, type ImageReader } from './image-input.js';
import type { FloatImage } from './resample.js';

const startsWith = (bytes: Uint8Array, magic: readonly number[], at = 0): boolean => magic.every((b, i) => bytes[at + i] === b);

/** Decodes PNG or JPEG bytes to RGB floats in [0, 1] (alpha dropped). */
export function decodeImageBytes(bytes: Uint8Array): FloatImage {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47])) {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return fromRgba(png.data, png.width, png.height);
  }
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) {
    const image = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
    return fromRgba(image.data, image.width, image.height);
  }
  if (startsWith(bytes, [0x52, 0x49, 0x46, 0x46]) && startsWith(bytes, [0x57, 0x45, 0x42, 0x50], 8)) {
    throw new Error('a WebP image: Node decodes PNG and JPEG only (convert it, or classify it in a browser, which decodes WebP)');
  }
  throw new Error('not a PNG or JPEG image (unknown signature)');
}

async function readBytes(path: string): Promise<Uint8Array> {
  const buffer = await readFile(path);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** Node's `ImageReader`: files and bytes. A failure names the file. */
export const nodeImageReader: ImageReader = {
  decode: (bytes) => Promise.resolve(decodeImageBytes(bytes)),
  readFile: readBytes,
};
