/** Images of one size as one flat NHWC array, with their integer labels. */
export interface ImageSet {
  /** `count * height * width * channels` values, NHWC, pixels in [0, 1]. */
  images: Float32Array;
  labels: Int32Array;
  /** `[height, width, channels]` of every image. */
  shape: [number, number, number];
}

/** A file that could not be read as an image, and why; it was left out of the data. */
export interface SkippedImage {
  path: string;
  reason: string;
}

/** A labelled data set split into training and held-out test images. */
export interface ImageDataset {
  /** Where the data came from: `mnist` or the folder's path. */
  source: string;
  /** Class names, index = label. */
  classNames: string[];
  train: ImageSet;
  test: ImageSet;
  /** Files left out because they could not be decoded (image folders only). */
  skipped: SkippedImage[];
}

/** Number of images in `set`. */
export function imageCount(set: ImageSet): number {
  return set.labels.length;
}

/** How many images of each class `set` holds, index = label. */
export function labelCounts(set: ImageSet, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (const label of set.labels) counts[label] = (counts[label] ?? 0) + 1;
  return counts;
}

/** The images at `indices` (in that order) as a new set. */
export function selectImages(set: ImageSet, indices: ArrayLike<number>): ImageSet {
  const size = set.shape[0] * set.shape[1] * set.shape[2];
  const images = new Float32Array(indices.length * size);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const from = indices[i] as number;
    images.set(set.images.subarray(from * size, (from + 1) * size), i * size);
    labels[i] = set.labels[from] as number;
  }
  return { images, labels, shape: [...set.shape] };
}

/** Keeps at most `perClass` images of each class, the first ones in `set`'s order (deterministic). */
export function limitPerClass(set: ImageSet, perClass: number): ImageSet {
  const seen = new Map<number, number>();
  const keep: number[] = [];
  set.labels.forEach((label, i) => {
    const n = seen.get(label) ?? 0;
    if (n < perClass) keep.push(i);
    seen.set(label, n + 1);
  });
  return selectImages(set, keep);
}
