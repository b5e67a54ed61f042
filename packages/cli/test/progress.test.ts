import { describe, expect, it } from 'vitest';
import { createProgressBar, createStepProgressBar, formatProgress, formatStepProgress, learningRateAt, type BatchProgress, type StepProgress } from '../src/index.js';
import { epochSeed, seededPermutation } from '../src/train/random.js';

const at = (done: number): BatchProgress => ({ epoch: 2, epochs: 5, done, total: 8000, loss: 0.2314, accuracy: 0.9312, imagesPerSecond: 400, seconds: done / 400 });

describe('progress bar', () => {
  it('shows epoch, bar, count, images/s, loss, accuracy and ETA', () => {
    expect(formatProgress(at(3200))).toBe('epoch 2/5 [########------------] 3200/8000  400 img/s  loss 0.2314  acc 93.1%  ETA 12s');
    expect(formatProgress(at(8000))).toBe('epoch 2/5 [####################] 8000/8000  400 img/s  loss 0.2314  acc 93.1%  in 20s');
    expect(formatProgress({ ...at(0), done: 100, imagesPerSecond: 1 })).toMatch(/ETA 131m40s$/);
  });

  it('redraws one line on a terminal, and writes only the epoch-end line into a pipe', () => {
    const tty: string[] = [];
    const barTty = createProgressBar({ write: (t: string) => tty.push(t), isTTY: true }, 0);
    barTty(at(4000));
    barTty(at(8000));
    expect(tty[0]?.startsWith('\r\x1b[2K')).toBe(true);
    expect(tty[1]?.endsWith('\n')).toBe(true);
    const pipe: string[] = [];
    const barPipe = createProgressBar({ write: (t: string) => pipe.push(t) }, 0);
    barPipe(at(4000));
    barPipe(at(8000));
    expect(pipe).toEqual([`${formatProgress(at(8000))}\n`]);
  });
});

describe('step progress bar (zoo, bench)', () => {
  const step = (done: number): StepProgress => ({ label: 'zoo', done, total: 4, item: `model${done} 12.5 ms`, seconds: 10 * done });

  it('shows the label, bar, count, the item just done and the ETA from the time per item so far', () => {
    expect(formatStepProgress(step(1))).toBe('zoo [#####---------------] 1/4  model1 12.5 ms  ETA 30s');
    expect(formatStepProgress(step(4))).toBe('zoo [####################] 4/4  model4 12.5 ms  in 40s');
  });

  it('redraws one line on a terminal and writes a line per item into a pipe', () => {
    const tty: string[] = [];
    const barTty = createStepProgressBar({ write: (t: string) => tty.push(t), isTTY: true });
    barTty(step(3));
    barTty(step(4));
    expect(tty).toEqual([`\r\x1b[2K${formatStepProgress(step(3))}`, `\r\x1b[2K${formatStepProgress(step(4))}\n`]);
    const pipe: string[] = [];
    const barPipe = createStepProgressBar({ write: (t: string) => pipe.push(t) });
    barPipe(step(3));
    barPipe(step(4));
    expect(pipe).toEqual([`${formatStepProgress(step(3))}\n`, `${formatStepProgress(step(4))}\n`]);
  });
});

describe('what makes resume exact: shuffling and the learning rate depend on (seed, epoch) and the step only', () => {
  it('draws a permutation per (seed, epoch), the same every time', () => {
    const a = seededPermutation(100, epochSeed(3, 1));
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(seededPermutation(100, epochSeed(3, 1))).toEqual(a);
    expect(seededPermutation(100, epochSeed(3, 2))).not.toEqual(a);
    expect(seededPermutation(100, epochSeed(4, 1))).not.toEqual(a);
  });

  it('computes the schedules from the step', () => {
    expect(learningRateAt('constant', 0.01, 50, 100)).toBe(0.01);
    expect(learningRateAt('cosine', 0.01, 0, 100)).toBe(0.01);
    expect(learningRateAt('cosine', 0.01, 50, 100)).toBeCloseTo(0.005, 12);
    expect(learningRateAt('cosine', 0.01, 100, 100)).toBeCloseTo(0, 12);
    expect(learningRateAt('linear', 0.01, 25, 100)).toBeCloseTo(0.0075, 12);
  });
});
