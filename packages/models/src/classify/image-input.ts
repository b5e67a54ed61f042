// The images `classify` and `embed` take, read into float pixels in [0, 1]. Encoded bytes (and, in
// Node, file paths) go through the platform's decoder: pure-JS PNG/JPEG in Node, the browser's own
// `createImageBitmap` in a page.

import * as tf from '@tensorflow/tfjs';
import type { FloatImage } from './resample.js';

/** RGBA bytes, as a canvas's `getImageData` returns them. */
export interface ImageDataLike {
  data: Uint8ClampedArray | Uint8Array;
  width: number;
  height: number;
}

/** What `tf.browser.fromPixels` reads: an `<img>`, a canvas, a video frame, an ImageBitmap. */
export type BrowserImage = Exclude<Parameters<typeof tf.browser.fromPixels>[0], ImageDataLike | { data: Uint8Array; width: number; height: number }>;

/**
 * One image: encoded bytes (PNG, JPEG; WebP where the platform decodes it), a file path (Node), a
 * `tf.Tensor` `[H, W, C]` of pixel values in [0, 255] (C = 1, 3 or 4; `[N, H, W, C]` is N images), an
 * `ImageData`, or a browser image element, canvas or ImageBitmap.
 */
export type ImageInput = string | Uint8Array | ArrayBuffer | tf.Tensor | ImageDataLike | BrowserImage;

/** How the platform turns bytes and paths into pixels. */
export interface ImageReader {
  decode(bytes: Uint8Array): Promise<FloatImage>;
  readFile?(path: string): Promise<Uint8Array>;
}

/** RGBA bytes to RGB floats in [0, 1]. */
export function fromRgba(rgba: ArrayLike<number>, width: number, height: number): FloatImage {
  const data = new Float32Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    data[3 * p] = (rgba[4 * p] as number) / 255;
    data[3 * p + 1] = (rgba[4 * p + 1] as number) / 255;
    data[3 * p + 2] = (rgba[4 * p + 2] as number) / 255;
  }
  return { data, height, width, channels: 3 };
}

function fromTensor(image: tf.Tensor, what: string): FloatImage[] {
  if (image.rank !== 3 && image.rank !== 4) throw new Error(`${what}: an image tensor must be [H, W, C] or [N, H, W, C] (got shape [${image.shape}])`);
  const [n, h, w, c] = (image.rank === 3 ? [1, ...image.shape] : image.shape) as [number, number, number, number];
  if (c !== 1 && c !== 3 && c !== 4) throw new Error(`${what}: an image tensor must have 1, 3 or 4 channels (got shape [${image.shape}])`);
  const values = image.dataSync();
  const size = h * w * c;
  const images: FloatImage[] = [];
  for (let i = 0; i < n; i++) {
    const data = new Float32Array(size);
    for (let j = 0; j < size; j++) data[j] = (values[i * size + j] as number) / 255;
    images.push({ data, height: h, width: w, channels: c });
  }
  return images;
}

function isImageData(input: object): input is ImageDataLike {
  const candidate = input as Partial<ImageDataLike>;
  return (candidate.data instanceof Uint8ClampedArray || candidate.data instanceof Uint8Array) && typeof candidate.width === 'number' && typeof candidate.height === 'number';
}

/** Reads one input (a batch tensor gives several images). */
async function readOne(input: ImageInput, reader: ImageReader, what: string): Promise<FloatImage[]> {
  if (typeof input === 'string') {
    if (reader.readFile === undefined) throw new Error(`${what}: a file path needs Node (import it from '@netblocks/models/node'); in a page pass the bytes or an image (got ${JSON.stringify(input)})`);
    const bytes = await reader.readFile(input);
    try {
      return [await reader.decode(bytes)];
    } catch (error) {
      throw new Error(`${what}: cannot decode ${input}: ${(error as Error).message}`);
    }
  }
  if (input instanceof Uint8Array) return [await reader.decode(input)];
  if (input instanceof ArrayBuffer) return [await reader.decode(new Uint8Array(input))];
  if (input instanceof tf.Tensor) return fromTensor(input, what);
  if (typeof input === 'object' && input !== null && isImageData(input)) {
    if (input.data.length !== input.width * input.height * 4) throw new Error(`${what}: ImageData of ${input.width}x${input.height} must hold ${input.width * input.height * 4} RGBA bytes (got ${input.data.length})`);
    return [fromRgba(input.data, input.width, input.height)];
  }
  if (typeof input === 'object' && input !== null) {
    const pixels = tf.browser.fromPixels(input as BrowserImage, 3);
    try {
      return fromTensor(pixels, what);
    } finally {
      pixels.dispose();
    }
  }
  throw new Error(`${what}: an image must be bytes, a path, a tf.Tensor, ImageData or an image element (got ${String(input)})`);
}

/** Reads every input, in order. */
export async function readImages(inputs: readonly ImageInput[], reader: ImageReader, what: string): Promise<FloatImage[]> {
  const images: FloatImage[] = [];
  for (const input of inputs) images.push(...(await readOne(input, reader, what)));
  return images;
}
