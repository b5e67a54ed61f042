/** Rows `[start, end)` of a batch that one worker runs. */
export interface ShardRange {
  start: number;
  end: number;
}

/**
 * Splits `batch` rows into contiguous, near-equal ranges, one per worker, or one per row when the
 * batch is smaller than the pool: the first `batch % parts` ranges take one row more
 * (5 rows over 2 workers: [0, 3) and [3, 5)).
 */
export function shardRanges(batch: number, workers: number): ShardRange[] {
  const parts = Math.min(batch, workers);
  const base = Math.floor(batch / parts);
  const extra = batch % parts;
  const ranges: ShardRange[] = [];
  let start = 0;
  for (let i = 0; i < parts; i++) {
    const end = start + base + (i < extra ? 1 : 0);
    ranges.push({ start, end });
    start = end;
  }
  return ranges;
}
