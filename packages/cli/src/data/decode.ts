import { toChannels } from '@netblocks/models';
import { decodeImageBytes } from '@netblocks/models/node';

/** A decoded image: HWC float pixels in [0, 1]. */
export interface DecodedImage {
  pixels: Float32Array;
  shape: [number, number, number];
}

/**
 * Decodes a PNG or JPEG file's bytes (recognised by their signature, not the file name) in pure
 * JS (@netblocks/models' decoder: pngjs, jpeg-js), to `channels` channels (grey is BT.601 luma).
 * Throws on anything else or on a damaged file.
 */
export function decodeImage(bytes: Uint8Array, channels: 1 | 3): DecodedImage {
  const image = toChannels(decodeImageBytes(bytes), channels);
  return { pixels: image.data, shape: [image.height, image.width, channels] };
}
