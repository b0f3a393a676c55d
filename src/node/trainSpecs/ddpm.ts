/**
 * npm run train -- --model ddpm --data mnist --out DIR [--iters N] [--batch B] [--resume STATE_DIR]
 *
 * Trains the DDPM ε-network baseline (1000 linear-β steps). Writes the EMA network to --out
 * and the resume state (both networks, Adam moments, random stream) to --state (default
 * <out>.state, or the --resume folder), with a preview of 16 DDIM-50 samples beside it.
 */
import * as tf from '@tensorflow/tfjs';
import { flipsLeftRight, trainDataName } from '../../core/data/catalog';
import { sampleDdpm } from '../../core/diffusion/ddpm';
import { serializeCheckpoint } from '../../core/models/checkpoint';
import { defaultEpsNetConfig, type EpsNetConfig } from '../../core/models/epsNet';
import type { Network } from '../../core/models/network';
import { Rng } from '../../core/rng';
import { DdpmTrainer, defaultDdpmTrainConfig, type DdpmStepStats, type DdpmTrainConfig } from '../../core/training/ddpmTrainer';
import { checkAdamMoments, checkOneOptimizerResumeMeta } from '../../core/training/resumeStateCheck';
import type { OneOptimizerStateJson } from '../../core/training/trainerState';
import { usageExit } from '../args';
import { BACKEND_USAGE } from '../backend';
import { TRAIN_DDPM_FLAGS, groupNormProblem } from '../cliFlags';
import { loadDataset } from '../data';
import { noteIgnoredOnResume, resumeDataName } from '../resumeArgs';
import { recentMean, throughputFields, type TrainSession, type TrainSpec } from '../trainCommand';
import { codeVersion } from '../version';

const USAGE = `usage: npm run train -- --model ddpm --data mnist|emoji|icons --out DIR
  [--iters N] [--batch B (1–512)] [--lr X] [--base C] [--resume STATE_DIR] [--state STATE_DIR] [--save-every N] [--minutes M] [--seed S]
  ${BACKEND_USAGE}`;

export const DDPM_TRAINING: TrainSpec<typeof TRAIN_DDPM_FLAGS, DdpmStepStats, OneOptimizerStateJson> = {
  model: 'ddpm',
  usage: USAGE,
  flags: TRAIN_DDPM_FLAGS,
  resume: { defaultDir: (out) => `${out}.state`, check: (m) => checkOneOptimizerResumeMeta(m, ['net', 'netEma'], 'DDPM') },

  async plan({ args, f, name, resume }) {
    let dataName: string;
    if (resume) {
      dataName = resumeDataName(resume, f.data);
      const savedConfig = resume.files.meta.trainConfig as { batch?: number; lr?: number; seed?: number };
      const savedBase = (resume.files.meta.networks.net as { baseChannels?: number }).baseChannels;
      noteIgnoredOnResume(args, f, { batch: savedConfig.batch, lr: savedConfig.lr, base: savedBase, seed: savedConfig.seed });
    } else {
      dataName = trainDataName(f.data ?? 'mnist');
      const problem = groupNormProblem(defaultEpsNetConfig({ baseChannels: f.base }));
      if (problem) usageExit(`--base ${f.base}: ${problem}`);
    }
    const data = await loadDataset(dataName);
    return {
      iters: f.iters,
      restore(ck, state) {
        const t = new DdpmTrainer(ck.networks.net as Network<EpsNetConfig>, ck.networks.netEma as Network<EpsNetConfig>, data, ck.meta.trainConfig as DdpmTrainConfig);
        if (ck.stateValues) checkAdamMoments(ck.stateValues, t.opt.config);
        t.loadState(state.trainerState, ck.state);
        tf.dispose(Object.values(ck.state));
        return ddpmSession(t, name);
      },
      async create() {
        const config = defaultDdpmTrainConfig({ batch: f.batch ?? 32, lr: f.lr ?? 5e-4, flip: flipsLeftRight(dataName), seed: f.seed ?? 0 });
        return ddpmSession(DdpmTrainer.create(defaultEpsNetConfig({ channels: data.channels, baseChannels: f.base }), data, config), name);
      },
    };
  },
};

function ddpmSession(trainer: DdpmTrainer, name: string): TrainSession<DdpmStepStats> {
  const batch = trainer.config.batch;
  const flops = trainer.net.flopsPerExample();
  const flopsPerIter = 3 * batch * flops;
  const data = trainer.data;
  return {
    trainer,
    imagesPerIteration: batch,
    flopsPerIteration: flopsPerIter,
    banner: `${name}: ε-net ${trainer.net.paramCount().toLocaleString()} params, ${(flops / 1e6).toFixed(1)} MFLOP/image`,
    describe: (s) => `loss ${s.loss.toFixed(4)} | grad norm ${s.gradNorm.toFixed(2)}`,
    async checkpoints(progress) {
      const m = {
        name,
        description: `DDPM ε-prediction baseline, ${trainer.schedule.N} linear-β steps, trained on ${data.name} by this project's trainer`,
        createdAt: new Date().toISOString(),
        codeVersion: codeVersion(),
        data: { name: data.name, count: data.count, size: data.size, channels: data.channels },
        schedule: { kind: 'ddpm-linear', N: trainer.schedule.N, betaStart: 1e-4, betaEnd: 0.02 },
        training: {
          iterations: trainer.iteration,
          batch,
          ...throughputFields(progress, batch, flopsPerIter),
          recentLoss: recentMean(progress.recent, 'loss'),
          config: trainer.config,
        },
      };
      return {
        model: await serializeCheckpoint(m, { eps: trainer.netEma }),
        state: await serializeCheckpoint({ ...m, trainConfig: trainer.config, trainerState: trainer.stateJson() }, { net: trainer.net, netEma: trainer.netEma }, trainer.stateTensors()),
      };
    },
    async preview() {
      // a cheap preview: 16 samples with 50 DDIM steps
      const x0 = await sampleDdpm(trainer.netEma, trainer.schedule, { batch: 16, rng: new Rng(1234), sampler: { kind: 'ddim', steps: 50, eta: 0 } });
      const pixels = (await x0.data()) as Float32Array;
      x0.dispose();
      return { images: { data: pixels, count: 16, size: data.size, channels: data.channels }, cols: 4, scale: 2 };
    },
    dispose: () => trainer.dispose(),
  };
}
