/**
 * The client's postMessage: the commands that carry big buffers (file bytes, training
 * pixels, resume weights, a model file) move them to the worker instead of copying them on
 * the UI thread; other commands transfer nothing. `init` carries the page's wasm thread facts.
 */
import { describe, expect, it } from 'vitest';
import { EngineClient, buffersIn, type WorkerLike } from '../../src/worker/client';

function fakeWorker(): { worker: WorkerLike; posted: { message: unknown; transfer: Transferable[] | undefined }[] } {
  const posted: { message: unknown; transfer: Transferable[] | undefined }[] = [];
  return {
    posted,
    worker: {
      postMessage: (message, transfer) => void posted.push({ message, transfer }),
      addEventListener: () => undefined,
      terminate: () => undefined,
    },
  };
}

describe('EngineClient transfers', () => {
  it('moves the buffers of uploads, training data and model files, and nothing else', () => {
    const { worker, posted } = fakeWorker();
    const client = new EngineClient(worker);
    const a = new ArrayBuffer(8);
    const b = new ArrayBuffer(4);
    void client.decodeImages({ files: [{ name: 'a.png', bytes: a }, { name: 'b.png', bytes: b }], size: 16, channels: 1 });
    const pixels = new ArrayBuffer(16);
    const weights = new ArrayBuffer(32);
    const settings = { iterations: 1, batch: 1, lrG: 0, lrD: 0, r1Gamma: 0, emaDecay: 0, seed: 0, previewEvery: 1, previewCount: 1, checkpointEvery: 1 };
    void client.startTraining({ init: { kind: 'resume', modelJson: {}, weights }, data: { kind: 'pixels', name: 'x', pixels, count: 1, size: 4, channels: 1 }, settings });
    void client.generate({ batch: 1, seed: 1, minStepMs: 0 });
    expect(posted.map((p) => p.transfer)).toEqual([[a, b], [weights, pixels], []]);
  });

  it('lists each buffer once', () => {
    const a = new ArrayBuffer(1);
    expect(buffersIn({ x: a, y: [a, { z: a }] })).toEqual([a]);
  });
});

describe('EngineClient init', () => {
  it('adds the page’s wasm thread facts to every init that has none', () => {
    const { worker, posted } = fakeWorker();
    const wasm = { threads: 1, isolation: { isolated: true as const, via: 'headers' as const } };
    const client = new EngineClient(worker, { wasm });
    void client.init({ backend: 'wasm' });
    void client.init({ backend: 'auto', wasm: { threads: 2 } });
    const params = posted.map((p) => (p.message as { params: unknown }).params);
    expect(params).toEqual([{ backend: 'wasm', wasm }, { backend: 'auto', wasm: { threads: 2 } }]);
  });
});
