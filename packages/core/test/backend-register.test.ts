import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { defaultBackendOrder, initBackend } from '../src/backend.js';
import { registerNetblocksClass } from '../src/registration.js';

describe('initBackend', () => {
  it('in Node prefers tfjs-node, then wasm, then cpu, and says which it picked', async () => {
    expect(defaultBackendOrder()).toEqual(['tensorflow', 'wasm', 'cpu']);
    const messages: string[] = [];
    const choice = await initBackend(undefined, { log: (m) => messages.push(m) });
    // tfjs-node cannot install here; wasm ships with the workspace's dev dependencies.
    expect(choice.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(choice.skipped).toEqual([{ name: 'tensorflow', reason: '@tensorflow/tfjs-node is not installed' }]);
    expect(messages).toEqual(['netblocks: using TF.js backend "wasm" (tensorflow: @tensorflow/tfjs-node is not installed)']);
  });

  it('honours an explicit preference and rejects unknown names', async () => {
    const choice = await initBackend('cpu', { log: () => {} });
    expect(choice).toEqual({ name: 'cpu', skipped: [] });
    expect(tf.getBackend()).toBe('cpu');
    await expect(initBackend(['gpu' as never])).rejects.toThrow(/unknown backend.*"gpu"/);
  });
});

describe('registerNetblocksClass', () => {
  class NetblocksProbeLayer extends tf.layers.Layer {
    static className = 'NetblocksProbeLayer';
  }
  class ProbeLayer extends tf.layers.Layer {
    static className = 'ProbeLayer';
  }

  it('registers prefixed classes once and refuses unprefixed or clashing ones', () => {
    registerNetblocksClass(NetblocksProbeLayer);
    registerNetblocksClass(NetblocksProbeLayer); // idempotent
    expect(tf.serialization.SerializationMap.getMap().classNameMap.NetblocksProbeLayer?.[0]).toBe(NetblocksProbeLayer);
    expect(() => registerNetblocksClass(ProbeLayer)).toThrow(/must start with "Netblocks".*className=ProbeLayer/);
    class Impostor extends tf.layers.Layer {
      static className = 'NetblocksProbeLayer';
    }
    expect(() => registerNetblocksClass(Impostor)).toThrow(/already registered as "NetblocksProbeLayer"/);
  });
});
