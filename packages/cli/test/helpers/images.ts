import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

/** RGBA bytes of a `width` x `height` image filled with one colour. */
function solid(width: number, height: number, [r, g, b]: [number, number, number]): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let p = 0; p < width * height; p++) data.set([r, g, b, 255], p * 4);
  return data;
}

/** Writes a PNG of one colour. */
export function writePng(file: string, width: number, height: number, rgb: [number, number, number]): void {
  const png = new PNG({ width, height });
  solid(width, height, rgb).copy(png.data);
  writeFileSync(file, PNG.sync.write(png));
}

/** Writes a JPEG (quality 95) of one colour. */
export function writeJpeg(file: string, width: number, height: number, rgb: [number, number, number]): void {
  writeFileSync(file, jpeg.encode({ data: solid(width, height, rgb), width, height }, 95).data);
}

/**
 * An image folder with classes `dark` (PNGs, 0..) and `light` (JPEGs), `perClass` images each of
 * varied sizes, plus damaged files: a `.png` holding text, and a JPEG cut in half.
 */
export function makeImageFolder(root: string, perClass: number): { corrupt: string[] } {
  mkdirSync(join(root, 'dark'), { recursive: true });
  mkdirSync(join(root, 'light'), { recursive: true });
  for (let i = 0; i < perClass; i++) {
    writePng(join(root, 'dark', `d${i}.png`), 8 + i, 10, [20, 20, 20]);
    writeJpeg(join(root, 'light', `l${i}.jpg`), 12, 6 + i, [230, 230, 230]);
  }
  const corrupt = [join(root, 'dark', 'broken.png'), join(root, 'light', 'truncated.jpeg')];
  writeFileSync(corrupt[0] as string, 'this is not a png');
  const whole = jpeg.encode({ data: solid(16, 16, [200, 10, 10]), width: 16, height: 16 }, 90).data;
  writeFileSync(corrupt[1] as string, whole.subarray(0, Math.floor(whole.length / 2)));
  // Not an image extension: ignored, not reported.
  writeFileSync(join(root, 'light', 'notes.txt'), 'labels by hand');
  return { corrupt };
}
