// The two model panels (classify, fine-tune) work on user actions, not at load: each action reports
// its state on the `<section data-tool=name>` (`data-<key>="busy"`, then `"true"` or `"error"` with
// `data-error`), for people (a status line) and for tests. `data-tool`, not `data-panel`: the
// page's `data-ready` and its panel list cover the panels that draw at load.

/** The `<section data-tool=name>` of a tool panel. */
export function toolElement(name: string): HTMLElement {
  const section = document.querySelector<HTMLElement>(`[data-tool="${name}"]`);
  if (section === null) throw new Error(`the page has no tool panel "${name}"`);
  return section;
}

/** Sets the status line of a tool panel (its `.status` element). */
export function setStatus(section: HTMLElement, text: string): void {
  const status = section.querySelector<HTMLElement>('.status');
  if (status) status.textContent = text;
}

/**
 * Runs `action` for the tool panel `section`, reporting it as `data-<key>`: `"busy"` while it runs,
 * `"true"` when it finished, `"error"` (with the message in `data-error`, the status line and
 * `console.error`) when it threw. Another action with the same key waits for nothing: callers
 * disable their buttons.
 */
export async function runAction(section: HTMLElement, key: string, action: () => Promise<void>): Promise<void> {
  section.dataset[key] = 'busy';
  delete section.dataset.error;
  try {
    await action();
    section.dataset[key] = 'true';
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    section.dataset[key] = 'error';
    section.dataset.error = message;
    setStatus(section, `error: ${message}`);
    console.error(`${section.dataset.tool}:`, error);
  }
}
