import type { FamilyDefinition } from '../types.js';
import { efficientNet } from './efficientnet.js';
import { mixer } from './mixer.js';
import { mobilenetV1 } from './mobilenet-v1.js';
import { mobilenetV2 } from './mobilenet-v2.js';
import { repvgg } from './repvgg.js';
import { resnet } from './resnet.js';
import { shuffleNetV1 } from './shufflenet-v1.js';
import { shuffleNetV2 } from './shufflenet-v2.js';
import { squeezenet } from './squeezenet.js';
import { vgg } from './vgg.js';
import { xception } from './xception.js';

/**
 * Every family. Each is typed by its own config; the registry only passes a family's configs back
 * to that family's builder, so the list erases the config type.
 */
export const FAMILIES: readonly FamilyDefinition<never>[] = [
  xception,
  mobilenetV1,
  mobilenetV2,
  shuffleNetV1,
  shuffleNetV2,
  resnet,
  efficientNet,
  repvgg,
  mixer,
  squeezenet,
  vgg,
] as unknown as FamilyDefinition<never>[];
