/**
 * The contract every registered training recipe keeps (STYLE: a shared contract test, as
 * diffusers' `SchedulerCommonTest` for samplers): built from the registry, it takes a few
 * steps with finite statistics and reports what its description promises; its resumable
 * state, saved and loaded again, continues bit for bit; and repeated steps keep
 * tf.memory().numTensors flat. Image recipes (src/core/training/recipes/registry.ts) on tiny
 * 8×8 networks, toy recipes (src/core/toy/recipes.ts) on tiny MLPs.
 *
 * Adding a recipe: add its tiny settings to IMAGE_CASES or TOY_CASES below (the types make
 * a missing entry a compile error).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { backend } from '../helpers';
import { Rng } from '../../src/core/rng';
import type { ImageDataset } from '../../src/core/data/dataset';
import { defaultGeneratorConfig } from '../../src/core/models/generator';
import type { NetworkConfig } from '../../src/core/models/network';
import { parseCheckpoint } from '../../src/core/models/checkpoint';
import { resumeCheckpoint, restoreTrainer } from '../../src/core/training/ddganState';
import type { ImageGanTrainConfig, ImageGanTrainer, TrainStepStats } from '../../src/core/training/imageGan';
import { IMAGE_RECIPES, imageRecipe, savedRecipe } from '../../src/core/training/recipes/registry';
import { TOY_TRAINERS, createToyTrainer, defaultToyConfig, restoreToyTrainer, type ToyTrainer } from '../../src/core/toy/recipes';
import {
  TOY_RECIPE_IDS,
  TOY_RECIPE_INFO,
  TRAINING_RECIPE_IDS,
  TRAINING_RECIPE_INFO,
  type ToyRecipeId,
  type TrainingRecipeId,
} from '../../src/shared/recipes';

beforeAll(() => backend('wasm'));

const gCfg = defaultGeneratorConfig({ imageSize: 8, T: 2, channelMults: [1, 2], baseChannels: 8, zEmbedDim: 16, tEmbedDim: 16, nz: 4, groups: 4 });
const meta = { name: 'contract', createdAt: 'x', codeVersion: 'test' };

/** Tiny settings per image recipe: the discriminator's overrides and the recipe's own settings. */
const IMAGE_CASES: { readonly [R in TrainingRecipeId]: { readonly d: Partial<NetworkConfig> & Record<string, unknown>; readonly config: Record<string, unknown> } } = {
  ddgan: { d: { channelMults: [1, 2], tEmbedDim: 16 }, config: { stepWeights: [1, 2] } },
  'diffusion-gan': { d: { channelMults: [1, 2], tEmbedDim: 16, tMax: 100 }, config: { tMin: 10, tMax: 100, adaptEvery: 2, delta: 0.1 } },
};

/** Tiny settings per toy recipe. */
const TOY_CASES: { readonly [R in ToyRecipeId]: Record<string, unknown> } = {
  gan: {},
  'diffusion-gan': { adaptEvery: 2, delta: 0.1 },
  ddgan: { T: 2 },
};

const TOY_SMALL = { batch: 32, hiddenG: 16, hiddenD: 16, layersG: 2, layersD: 2, fourierFeatures: 8, r1Gamma: 0.1, r1Every: 2, emaDecay: 0.99 };

/** 8×8 grey images: a bright left half or a bright top half. */
function data(): ImageDataset {
  const n = 32;
  const pixels = new Uint8Array(n * 64);
  for (let i = 0; i < n; i++)
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) pixels[i * 64 + y * 8 + x] = (i % 2 === 0 ? x < 4 : y < 4) ? 255 : 0;
  return { name: 'contract', pixels, count: n, size: 8, channels: 1 };
}

function freshImageTrainer(id: TrainingRecipeId, extra: Partial<ImageGanTrainConfig> = {}): ImageGanTrainer {
  const recipe = imageRecipe(id);
  const dConfig = { ...recipe.discriminator(gCfg, 8), ...IMAGE_CASES[id].d } as NetworkConfig;
  const shared: Partial<ImageGanTrainConfig> = { batch: 4, r1Every: 2, seed: 11, ...extra };
  return recipe.createFresh(gCfg, dConfig, data(), recipe.defaults({ ...shared, ...IMAGE_CASES[id].config }));
}

const withoutTime = <S extends { ms: number }>(stats: S[]) => stats.map(({ ms: _ms, ...rest }) => rest);

async function steps<S>(trainer: { step(): Promise<S> }, n: number): Promise<S[]> {
  const out: S[] = [];
  for (let i = 0; i < n; i++) out.push(await trainer.step());
  return out;
}

async function values(tensors: Record<string, tf.Tensor>): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const key of Object.keys(tensors).sort()) out[key] = Array.from(await tensors[key].data());
  return out;
}

async function imageWeights(t: ImageGanTrainer): Promise<Record<string, number[]>> {
  const nets: Record<string, tf.Tensor> = {};
  for (const [prefix, net] of [['G/', t.G], ['D/', t.D], ['Gema/', t.Gema]] as const) for (const [name, v] of net.params.vars) nets[prefix + name] = v;
  return values({ ...nets, ...t.stateTensors() });
}

/** One step (allocations that happen once), then four more must not change the tensor count; dispose frees all. */
async function expectNoLeaks(make: () => { step(): Promise<unknown>; dispose(): void }): Promise<void> {
  const base = tf.memory().numTensors;
  const t = make();
  await steps(t, 1);
  const after1 = tf.memory().numTensors;
  await steps(t, 4);
  expect(tf.memory().numTensors).toBe(after1);
  t.dispose();
  expect(tf.memory().numTensors).toBe(base);
}

describe('the recipe registries', () => {
  it('register exactly the recipes src/shared/recipes.ts names, each with the discriminator its description says', () => {
    expect(Object.keys(IMAGE_RECIPES).sort()).toEqual([...TRAINING_RECIPE_IDS].sort());
    expect(Object.keys(TOY_TRAINERS).sort()).toEqual([...TOY_RECIPE_IDS].sort());
    for (const id of TRAINING_RECIPE_IDS) {
      const recipe = imageRecipe(id);
      expect(recipe.info).toBe(TRAINING_RECIPE_INFO[id]);
      expect(recipe.discriminator(gCfg, 8).kind).toBe(TRAINING_RECIPE_INFO[id].discriminator);
      expect(recipe.defaults().recipe).toBe(id);
    }
    for (const id of TOY_RECIPE_IDS) expect(TOY_RECIPE_INFO[id].id).toBe(id);
    expect(() => imageRecipe('wgan')).toThrow(/unknown training recipe "wgan"; use one of ddgan, diffusion-gan/);
  });

  it('reads a state without a recipe as DD-GAN, and refuses an unknown one', () => {
    expect(savedRecipe({ meta: { trainConfig: { batch: 4 } } as never })).toBe('ddgan');
    expect(savedRecipe({ meta: {} as never })).toBe('ddgan');
    expect(() => savedRecipe({ meta: { trainConfig: { recipe: 'wgan' } } as never })).toThrow(/unknown training recipe "wgan"/);
  });
});

describe.each(TRAINING_RECIPE_IDS)('image recipe %s', (id) => {
  it('steps with finite statistics and the extra ones it reports', async () => {
    const t = freshImageTrainer(id);
    try {
      expect(t.recipe).toBe(id);
      const stats = await steps(t, 3);
      expect(stats.map((s) => s.iteration)).toEqual([1, 2, 3]);
      for (const s of stats) {
        for (const key of ['lossD', 'lossG', 'dReal', 'dFake', 'gradNormD', 'gradNormG'] as const) expect(Number.isFinite(s[key])).toBe(true);
        for (const key of TRAINING_RECIPE_INFO[id].reports) expect(s[key as keyof TrainStepStats]).toBeDefined();
      }
      // lazy R1 every 2 iterations: at iterations 0 and 2, not at 1
      expect(Number.isFinite(stats[0].r1) && Number.isNaN(stats[1].r1) && Number.isFinite(stats[2].r1)).toBe(true);
    } finally {
      t.dispose();
    }
  }, 60_000);

  it('resumes from its saved state bit for bit (through a checkpoint and the registry)', async () => {
    const a = freshImageTrainer(id);
    await steps(a, 2);
    const saved = await resumeCheckpoint(a, meta);
    const ck = parseCheckpoint(JSON.parse(JSON.stringify(saved.modelJson)), saved.weightData);
    expect(savedRecipe(ck)).toBe(id);
    const b = restoreTrainer(ck, data());
    try {
      expect(b.recipe).toBe(id);
      expect(b.iteration).toBe(2);
      const statsA = await steps(a, 3);
      const statsB = await steps(b, 3);
      expect(withoutTime(statsB)).toEqual(withoutTime(statsA));
      expect(await imageWeights(b)).toEqual(await imageWeights(a));
    } finally {
      a.dispose();
      b.dispose();
    }
  }, 60_000);

  it('keeps tf.memory().numTensors flat over repeated steps, and dispose frees everything', () => expectNoLeaks(() => freshImageTrainer(id)), 60_000);
});

describe.each(TRAINING_RECIPE_IDS)('image recipe %s with DiffAugment on what D sees', (id) => {
  const augment = ['color', 'translation', 'cutout'] as const;

  it('trains differently from the same seed without it, and resumes bit for bit with the policy saved', async () => {
    const plain = freshImageTrainer(id);
    const a = freshImageTrainer(id, { augment });
    try {
      const statsPlain = await steps(plain, 2);
      const statsA = await steps(a, 2);
      for (const s of statsA) for (const key of ['lossD', 'lossG', 'dReal', 'dFake'] as const) expect(Number.isFinite(s[key])).toBe(true);
      expect(statsA.map((s) => s.lossD)).not.toEqual(statsPlain.map((s) => s.lossD));
      const saved = await resumeCheckpoint(a, meta);
      const json = JSON.parse(JSON.stringify(saved.modelJson));
      expect(json.trainConfig.augment).toEqual([...augment]);
      const b = restoreTrainer(parseCheckpoint(json, saved.weightData), data());
      try {
        expect(withoutTime(await steps(b, 2))).toEqual(withoutTime(await steps(a, 2)));
        expect(await imageWeights(b)).toEqual(await imageWeights(a));
      } finally {
        b.dispose();
      }
    } finally {
      plain.dispose();
      a.dispose();
    }
  }, 60_000);

  it('keeps tf.memory().numTensors flat with augmentation', () => expectNoLeaks(() => freshImageTrainer(id, { augment })), 60_000);
});

describe.each(TOY_RECIPE_IDS)('toy recipe %s', (id) => {
  const config = () => defaultToyConfig(id, { ...TOY_SMALL, ...TOY_CASES[id], seed: 5 } as never);

  it('steps with finite statistics and resumes from its saved state bit for bit', async () => {
    const a = createToyTrainer(config());
    const b0 = await steps(a, 2);
    expect(b0.every((s) => s.recipe === id && Number.isFinite(s.lossD) && Number.isFinite(s.lossG))).toBe(true);
    const json = JSON.parse(JSON.stringify(a.stateJson()));
    const tensors = Object.fromEntries(Object.entries(a.stateTensors()).map(([k, t]) => [k, t.clone()]));
    let b: ToyTrainer | null = null;
    try {
      b = restoreToyTrainer(json, tensors);
      const statsA = await steps(a, 3);
      const statsB = await steps(b, 3);
      expect(withoutTime(statsB)).toEqual(withoutTime(statsA));
      expect(await values(b.stateTensors())).toEqual(await values(a.stateTensors()));
      const sa = await a.sample(16, new Rng(1));
      const sb = await b.sample(16, new Rng(1));
      expect(sb.points).toEqual(sa.points);
      expect(sa.trajectory !== null).toBe(TOY_RECIPE_INFO[id].chain);
    } finally {
      tf.dispose(Object.values(tensors));
      a.dispose();
      b?.dispose();
    }
  }, 60_000);

  it('keeps tf.memory().numTensors flat over repeated steps, and dispose frees everything', () => expectNoLeaks(() => createToyTrainer(config())), 60_000);
});
