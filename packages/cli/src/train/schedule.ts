/** Learning-rate schedules over the whole run. */
export const SCHEDULES = ['constant', 'cosine', 'linear'] as const;
export type ScheduleName = (typeof SCHEDULES)[number];

/**
 * The learning rate at global step `step` of `totalSteps`: `constant`; `cosine` annealing from
 * `base` to 0 (Loshchilov & Hutter, SGDR, without restarts); `linear` decay to 0. A function of
 * the step only, so a resumed run follows the same curve.
 */
export function learningRateAt(schedule: ScheduleName, base: number, step: number, totalSteps: number): number {
  const t = totalSteps > 0 ? Math.min(step / totalSteps, 1) : 0;
  switch (schedule) {
    case 'constant':
      return base;
    case 'cosine':
      return 0.5 * base * (1 + Math.cos(Math.PI * t));
    case 'linear':
      return base * (1 - t);
  }
}
