import { setupBackend } from './backend.js';
import { elementById } from './draw/canvas.js';
import { setupArchitecture } from './panels/architecture.js';
import { setupChannelShuffle } from './panels/channel-shuffle.js';
import { setupClassify } from './panels/classify.js';
import { setupDigit } from './panels/digit.js';
import { setupFineTune } from './panels/fine-tune.js';
import { setupGroupConv } from './panels/group-conv.js';
import { setupRepvgg } from './panels/repvgg.js';
import { setupSeGates } from './panels/se-gates.js';
import { setupSeparableMacs } from './panels/separable-macs.js';
import { setupTokenMixing } from './panels/token-mixing.js';
import { installTestHook } from './test-hook.js';

async function main(): Promise<void> {
  const backend = await setupBackend();
  const label = elementById('backend');
  label.textContent = backend;
  label.dataset.backend = backend;
  // The model tools only set up their forms here: they fetch and train when asked.
  setupClassify();
  setupFineTune();
  installTestHook();
  // The cheap panels first, then the model; each panel reports its own state (data-ready).
  await setupGroupConv();
  await setupChannelShuffle();
  await setupSeGates();
  await setupRepvgg();
  await setupTokenMixing();
  await setupSeparableMacs();
  await setupDigit();
  await setupArchitecture();
  document.body.dataset.ready = 'true';
}

main().catch((error: unknown) => {
  document.body.dataset.error = error instanceof Error ? error.message : String(error);
  console.error(error);
});
