// Image resampling without PIL: the separable antialiased filters of PIL's `Image.resize`, in the
// floating-point form PyTorch runs them (`F.interpolate(..., antialias=True, align_corners=False)`,
// which is what torchvision's `Resize(antialias=True)` does to a tensor). Downscaling widens each
// filter by the scale so every input pixel contributes; upscaling uses the plain filter.

/** The interpolations the checkpoints' recipes name. */
export type Interpolation = 'bilinear' | 'bicubic';

/** One HWC image of float pixels. */
export interface FloatImage {
  data: Float32Array;
  height: number;
  width: number;
  channels: number;
}

function triangle(x: number): number {
  const t = Math.abs(x);
  return t < 1 ? 1 - t : 0;
}

/** Keys' cubic with a = -0.5 (PIL's and PyTorch's antialiased bicubic). */
function cubic(x: number): number {
  const a = -0.5;
  const t = Math.abs(x);
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
}

const FILTERS: Record<Interpolation, { support: number; weight: (x: number) => number }> = {
  bilinear: { support: 1, weight: triangle },
  bicubic: { support: 2, weight: cubic },
};

/** For each output index along one axis: the first input index and the normalised weights. */
interface AxisTaps {
  first: Int32Array;
  count: Int32Array;
  weights: Float32Array;
  /** Taps per output index (the widest window); `weights` holds `outLength * width` values. */
  width: number;
}

function axisTaps(inLength: number, outLength: number, interpolation: Interpolation): AxisTaps {
  const { support: baseSupport, weight } = FILTERS[interpolation];
  const scale = inLength / outLength;
  const stretch = scale >= 1 ? scale : 1;
  const support = baseSupport * stretch;
  const width = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outLength);
  const count = new Int32Array(outLength);
  const weights = new Float32Array(outLength * width);
  for (let i = 0; i < outLength; i++) {
    const centre = scale * (i + 0.5);
    // Math.trunc: the C cast PyTorch and PIL use (these stay non-negative after the max).
    const lo = Math.max(Math.trunc(centre - support + 0.5), 0);
    const n = Math.min(Math.trunc(centre + support + 0.5), inLength) - lo;
    let total = 0;
    for (let j = 0; j < n; j++) {
      const w = weight((j + lo - centre + 0.5) / stretch);
      weights[i * width + j] = w;
      total += w;
    }
    if (total !== 0) for (let j = 0; j < n; j++) weights[i * width + j] = (weights[i * width + j] as number) / total;
    first[i] = lo;
    count[i] = n;
  }
  return { first, count, weights, width };
}

function checkSize(what: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new Error(`resizeImage: \`${what}\` must be a positive integer (got ${what}=${value})`);
}

/**
 * Resizes an HWC float image to `outHeight` x `outWidth`: width first, then height, each a weighted
 * sum of the input pixels under the (scale-widened, when shrinking) filter, weights normalised to 1.
 * Matches `torch.nn.functional.interpolate(x, size, mode, align_corners=False, antialias=True)`.
 */
export function resizeImage(image: FloatImage, outHeight: number, outWidth: number, interpolation: Interpolation = 'bilinear'): FloatImage {
  checkSize('outHeight', outHeight);
  checkSize('outWidth', outWidth);
  if (!(interpolation in FILTERS)) throw new Error(`resizeImage: \`interpolation\` must be 'bilinear' or 'bicubic' (got interpolation=${JSON.stringify(interpolation)})`);
  const { data, height, width, channels: c } = image;
  if (height === outHeight && width === outWidth) return { data: data.slice(), height, width, channels: c };
  const horizontal = axisTaps(width, outWidth, interpolation);
  const rows = new Float32Array(height * outWidth * c);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < outWidth; x++) {
      const lo = horizontal.first[x] as number;
      const n = horizontal.count[x] as number;
      for (let k = 0; k < c; k++) {
        let sum = 0;
        for (let j = 0; j < n; j++) sum += (horizontal.weights[x * horizontal.width + j] as number) * (data[(y * width + lo + j) * c + k] as number);
        rows[(y * outWidth + x) * c + k] = sum;
      }
    }
  }
  const vertical = axisTaps(height, outHeight, interpolation);
  const out = new Float32Array(outHeight * outWidth * c);
  const rowLength = outWidth * c;
  for (let y = 0; y < outHeight; y++) {
    const lo = vertical.first[y] as number;
    const n = vertical.count[y] as number;
    const target = out.subarray(y * rowLength, (y + 1) * rowLength);
    for (let j = 0; j < n; j++) {
      const w = vertical.weights[y * vertical.width + j] as number;
      const source = rows.subarray((lo + j) * rowLength, (lo + j + 1) * rowLength);
      for (let i = 0; i < rowLength; i++) target[i] = (target[i] as number) + w * (source[i] as number);
    }
  }
  return { data: out, height: outHeight, width: outWidth, channels: c };
}
