import type { FamilyDefinition } from '../types.js';
import { resnet } from './resnet.js';
import { squeezenet } from './squeezenet.js';
import { vgg } from './vgg.js';

/** Every family, in the order `listModels` groups them. */
export const FAMILIES: readonly FamilyDefinition<never>[] = [resnet, squeezenet, vgg] as unknown as FamilyDefinition<never>[];
