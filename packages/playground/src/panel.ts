/** The `<section data-panel=name>` of a panel. */
export function panelElement(name: string): HTMLElement {
  const section = document.querySelector<HTMLElement>(`[data-panel="${name}"]`);
  if (section === null) throw new Error(`the page has no panel "${name}"`);
  return section;
}

/**
 * Runs `render` for panel `name` and reports through the DOM what tests and people wait for:
 * `data-ready="true"` once the picture is drawn (`"false"` while it is being redrawn), or
 * `data-error` with the message if `render` threw (also logged with `console.error`).
 */
export async function renderPanel(name: string, render: () => void | Promise<void>): Promise<void> {
  const section = panelElement(name);
  section.dataset.ready = 'false';
  try {
    await render();
    delete section.dataset.error;
    section.dataset.ready = 'true';
  } catch (error) {
    section.dataset.error = error instanceof Error ? error.message : String(error);
    console.error(`panel ${name}:`, error);
  }
}
