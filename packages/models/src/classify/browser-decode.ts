// The page's decoder: the browser's own (PNG, JPEG, WebP, GIF's first frame, ...), through
// `createImageBitmap` and a canvas, with no colour-space conversion or alpha premultiplication.

import { fromRgba, type ImageReader } from './image-input.js';
import type { FloatImage } from './resample.js';

async function decodeInBrowser(bytes: Uint8Array): Promise<FloatImage> {
  if (typeof createImageBitmap !== 'function' || typeof OffscreenCanvas !== 'function') {
    throw new Error("classify: decoding image bytes needs a browser (createImageBitmap, OffscreenCanvas); in Node import classify from '@netblocks/models/node'");
  }
  const bitmap = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>]), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  try {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d');
    if (context === null) throw new Error('classify: no 2d canvas context to decode the image into');
    context.drawImage(bitmap, 0, 0);
    const { data } = context.getImageData(0, 0, bitmap.width, bitmap.height);
    return fromRgba(data, bitmap.width, bitmap.height);
  } finally {
    bitmap.close();
  }
}

/** The browser's `ImageReader` (bytes only: a page has no file paths). */
export const browserImageReader: ImageReader = { decode: decodeInBrowser };
