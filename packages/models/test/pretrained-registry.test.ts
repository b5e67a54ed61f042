// The weights registry: every registered model has its published checkpoints or a reason for having
// none; each checkpoint is consistent with the model it loads into (parameter count, naming the
// family can read, classifier, label set), and lookups fail with errors that say what exists.
import { describe, expect, it } from 'vitest';
import { getModelInfo, listModels } from '../src/registry.js';
import { getPretrained, IMAGENET_1K_LABELS, listPretrained, noCheckpointReason } from '../src/pretrained/index.js';
import { TORCHVISION_WEIGHTS } from '../src/pretrained/torchvision-weights.js';
import { acceptedSources } from '../src/weights/source.js';
import { torchHubFileName } from '../src/download/torch-hub.js';
import { hashPrefixOf } from '../src/download/names.js';

describe('the pretrained registry', () => {
  it('every registered model has checkpoints with exactly one default, or says why it has none', () => {
    for (const model of listModels()) {
      const checkpoints = listPretrained(model);
      if (checkpoints.length === 0) expect(noCheckpointReason(model), model).toMatch(/.{20,}/);
      else {
        expect(checkpoints.filter((c) => c.isDefault).length, model).toBe(1);
        expect(noCheckpointReason(model)).toBeUndefined();
      }
    }
    const without = listModels().filter((m) => listPretrained(m).length === 0);
    console.info(`${listPretrained().length} checkpoints for ${listModels().length - without.length} models; none for ${without.join(', ')}`);
    expect(without).toEqual(expect.arrayContaining(['shufflenet_v1_g3_x1_0', 'mobilenetv1_025', 'mixer_s16_224', 'repvgg_b1g2']));
  });

  it('tags are unique per model, and each checkpoint names keys its family can read', () => {
    const names = listPretrained().map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const c of listPretrained()) {
      expect(acceptedSources(c.model), c.name).toContain(c.keys);
      expect(c.name).toBe(`${c.model}.${c.tag}`);
      expect(c.classifier, c.name).toMatch(/^[\w.]+$/);
    }
  });

  it("torchvision's parameter count for each of its checkpoints is our model's (so its keys and shapes can fit)", () => {
    for (const row of TORCHVISION_WEIGHTS) expect(row.numParams, row.model).toBe(getModelInfo(row.model).reference.trainableParams);
  });

  it("torchvision entries are on download.pytorch.org with the sha256 prefix in the file name; timm's on the Hub as timm/<arch>.<tag>", () => {
    for (const c of listPretrained()) {
      if (c.location.kind === 'url') {
        const file = torchHubFileName(c.location.url);
        if (c.verification === 'sha256 prefix in the file name') expect(hashPrefixOf(file), c.name).toMatch(/^[0-9a-f]{8,10}$/);
        if (c.keys === 'torchvision') expect(c.location.url, c.name).toMatch(/^https:\/\/download\.pytorch\.org\/models\//);
      } else {
        expect(c.location.repo, c.name).toBe(`timm/${c.architecture}.${c.tag.replace(/^tf_/, '')}`);
        expect(c.verification).toBe('sha256 from the Hub');
      }
    }
  });

  it('defaults follow the family: torchvision DEFAULT for torchvision-named families, timm default tag otherwise', () => {
    expect(getPretrained('resnet50')).toMatchObject({ tag: 'IMAGENET1K_V2', location: { kind: 'url', url: 'https://download.pytorch.org/models/resnet50-11ad3fa6.pth' } });
    expect(getPretrained('efficientnet_b0').location).toEqual({ kind: 'url', url: 'https://download.pytorch.org/models/efficientnet_b0_rwightman-7f5810bc.pth' });
    expect(getPretrained('mobilenetv2_100')).toMatchObject({ tag: 'ra_in1k', location: { kind: 'hub', repo: 'timm/mobilenetv2_100.ra_in1k' }, keys: 'timm' });
    expect(getPretrained('repvgg_a0')).toMatchObject({ location: { kind: 'hub', repo: 'timm/repvgg_a0.rvgg_in1k' }, classifier: 'head.fc', top1: { accuracy: 72.426 } });
    expect(getPretrained('mixer_b16_224').preprocessing.mean).toEqual([0.5, 0.5, 0.5]);
    expect(getPretrained('xception')).toMatchObject({ architecture: 'legacy_xception', location: { kind: 'url' } });
  });

  it("timm's tf_ EfficientNets ask for TF 'same' padding and BatchNorm eps 1e-3", () => {
    expect(getPretrained('efficientnet_b7.tf_ns_jft_in1k')).toMatchObject({ modelOptions: { padding: 'same', bnEpsilon: 1e-3 }, location: { repo: 'timm/tf_efficientnet_b7.ns_jft_in1k' } });
    expect(getPretrained('efficientnet_b0.ra_in1k').modelOptions).toBeUndefined();
  });

  it("preprocessing is the source's: torchvision's resize/crop, timm's floor(size / crop_pct)", () => {
    expect(getPretrained('efficientnet_b1.IMAGENET1K_V2').preprocessing.crop).toEqual({ resize: 255, size: 240, interpolation: 'bilinear' });
    expect(getPretrained('resnet50.a1_in1k').preprocessing.crop).toEqual({ resize: Math.floor(224 / 0.95), size: 224, interpolation: 'bicubic' });
  });

  it('ImageNet-1k checkpoints carry the 1000 labels; 21k heads carry none', () => {
    expect(IMAGENET_1K_LABELS.length).toBe(1000);
    expect([IMAGENET_1K_LABELS[0], IMAGENET_1K_LABELS[207], IMAGENET_1K_LABELS[999]]).toEqual(['tench', 'golden retriever', 'toilet tissue']);
    expect(getPretrained('mixer_b16_224.goog_in21k')).toMatchObject({ numClasses: 21843 });
    expect(getPretrained('mixer_b16_224.goog_in21k').labelSet).toBeUndefined();
  });

  it('listPretrained filters by model name, or by model.tag when the pattern has a dot', () => {
    expect(listPretrained('resnext50*').every((c) => c.model === 'resnext50_32x4d')).toBe(true);
    expect(listPretrained('*.tf_in1k').map((c) => c.model)).toEqual(['efficientnet_b0', 'efficientnet_b1', 'efficientnet_b2', 'efficientnet_b3', 'efficientnet_b4', 'efficientnet_b5', 'xception']);
  });

  it('a bad name, tag or model without weights is one clear error', () => {
    expect(() => getPretrained('resnet5')).toThrow(/unknown model "resnet5"; did you mean resnet50/);
    expect(() => getPretrained('resnet50.nope')).toThrow(/resnet50 has no checkpoint tagged "nope" \(its tags: IMAGENET1K_V2, IMAGENET1K_V1, a1_in1k/);
    expect(() => getPretrained('shufflenet_v1_g3_x1_0')).toThrow(/shufflenet_v1_g3_x1_0 has no pretrained weights: megvii's ShuffleNet-Series/);
    expect(getPretrained('resnet50', 'imagenet1k_v1').tag).toBe('IMAGENET1K_V1');
  });
});
