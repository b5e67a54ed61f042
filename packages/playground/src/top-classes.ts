import type { Classification } from '@netblocks/models';

/**
 * Shows `classes` in the list as rows of label, bar and percentage; each row carries its class in
 * `data-index`, `data-label` and `data-probability` (the full float, for tests).
 */
export function showTopClasses(list: HTMLElement, classes: readonly Classification[]): void {
  list.replaceChildren(
    ...classes.map((c, rank) => {
      const row = document.createElement('li');
      row.dataset.index = String(c.index);
      row.dataset.label = c.label ?? '';
      row.dataset.probability = String(c.probability);
      const label = document.createElement('span');
      label.className = 'label';
      label.textContent = c.label ?? `class ${c.index}`;
      label.title = `class ${c.index}`;
      const track = document.createElement('span');
      track.className = 'track';
      const bar = document.createElement('span');
      bar.className = rank === 0 ? 'bar best' : 'bar';
      bar.style.width = `${(100 * c.probability).toFixed(1)}%`;
      track.append(bar);
      const value = document.createElement('span');
      value.className = 'value';
      value.textContent = `${(100 * c.probability).toFixed(1)}%`;
      row.append(label, track, value);
      return row;
    }),
  );
}
