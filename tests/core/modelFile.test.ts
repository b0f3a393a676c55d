import { beforeAll, describe, expect, it } from 'vitest';
import { defaultDiscriminatorConfig } from '../../src/core/models/discriminator';
import { Network } from '../../src/core/models/network';
import { parseCheckpoint, serializeCheckpoint } from '../../src/core/models/checkpoint';
import { MODEL_FILE_FORMAT, decodeModelFile, encodeModelFile, shippableFromResume } from '../../src/core/io/modelFile';
import { TINY_CONFIG, ensureCpuBackend } from '../fixtures/tinyCheckpoint';

beforeAll(ensureCpuBackend);

describe('model files', () => {
  it('round-trips a resume checkpoint’s EMA generator through one file', async () => {
    const G = Network.create(TINY_CONFIG, 1);
    const ema = Network.create(TINY_CONFIG, 2);
    const D = Network.create(defaultDiscriminatorConfig({ imageSize: 16, channels: 1, T: 4, baseChannels: 8 }), 3);
    const { modelJson, weightData } = await serializeCheckpoint(
      { name: 'run', createdAt: 'now', codeVersion: 'test', trainerState: { iteration: 7 }, trainConfig: { batch: 2 } },
      { generator: G, discriminator: D, generatorEma: ema },
    );
    const ship = shippableFromResume(modelJson, weightData);
    const file = encodeModelFile(ship.modelJson, ship.weights);
    expect(JSON.parse(new TextDecoder().decode(file)).format).toBe(MODEL_FILE_FORMAT);
    const back = decodeModelFile(file.buffer as ArrayBuffer);
    const ck = parseCheckpoint(back.modelJson, back.weights);
    expect(Object.keys(ck.networks)).toEqual(['generator']);
    const a = await ck.networks.generator.params.vars.get('out/conv/w')!.data();
    const b = await ema.params.vars.get('out/conv/w')!.data();
    expect([...a]).toEqual([...b]);
    expect((back.modelJson as { trainerState?: unknown }).trainerState).toBeUndefined();
    for (const n of [G, ema, D, ck.networks.generator]) n.dispose();
  });

  it('rejects wrong and damaged files with a clear message', () => {
    const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v)).buffer as ArrayBuffer;
    expect(() => decodeModelFile(new ArrayBuffer(0))).toThrow(/empty/);
    expect(() => decodeModelFile(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0xff, 0xfe]).buffer)).toThrow(/not a ddgan-web model file/);
    expect(() => decodeModelFile(enc({ format: 'other/1' }))).toThrow(/format "other\/1"/);
    expect(() => decodeModelFile(enc({ format: MODEL_FILE_FORMAT, modelJson: {}, weights: '%%%' }))).toThrow(/base64/);
    expect(() => decodeModelFile(enc({ format: MODEL_FILE_FORMAT, modelJson: {}, weights: 'AAAA', weightsBytes: 8 }))).toThrow(/truncated/);
  });
});
