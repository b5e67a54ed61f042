import type { FamilyDefinition } from '../types.js';
import { mixer } from './mixer.js';
import { mobilenetV1 } from './mobilenet-v1.js';
import { repvgg } from './repvgg.js';
import { resnet } from './resnet.js';
import { shuffleNetV1 } from './shufflenet-v1.js';
import { shuffleNetV2 } from './shufflenet-v2.js';
import { squeezenet } from './squeezenet.js';
import { vgg } from './vgg.js';
import { xception } from './xception.js';

/** Every family, in the order `listModels` groups them. */
export const FAMILIES: readonly FamilyDefinition<never>[] = [xception, mobilenetV1, shuffleNetV1, shuffleNetV2, resnet, repvgg, squeezenet, vgg, mixer] as unknown as FamilyDefinition<never>[];
