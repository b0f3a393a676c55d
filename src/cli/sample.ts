/**
 * npm run sample -- --checkpoint DIR --n N --seed S --out OUT [--frames] [--batch B]
 *                   [--sampler ancestral|ddim|dpm-solver] [--steps S] [--eta E]
 *                   [--class Y|all] [--scale S] [--guide DIR]
 *
 * Writes OUT/samples/00000.png … (one PNG per sample at the model's resolution),
 * OUT/grid.png (up to 256 samples, 2×), OUT/samples.json (seed, sampler, NFE, guidance,
 * checkpoint, timing) and, with --frames, OUT/frames/step-<k>-xk.png and step-<k>-x0pred.png
 * for the first 64 samples (DDPM: about 10 evenly spaced steps).
 *
 * DD-GAN checkpoints run their T steps; DDPM checkpoints (network kind 'ddpm-eps') run any
 * sampler of the core list (src/core/diffusion/samplers/specs.ts): --sampler ancestral (all
 * 1000 steps), ddim (default: 50 steps, η = 0) or dpm-solver (DPM-Solver++(2M), default
 * 20 steps); --help lists them with their options. --class steers
 * either kind toward a class with the noise-aware classifier --guide (classifier guidance).
 * The same checkpoint, options, seed and batch size give byte-identical PNGs on the same backend.
 * Every flag is checked before the backend starts (src/node/cliFlags.ts).
 */
import path from 'node:path';
import { BACKEND_CLI_OPTIONS, BACKEND_USAGE, useBackendFromArgs } from '../node/backend';
import { errorLine, flags, parseCli, requireFlags, stringOptions, usageExit } from '../node/args';
import { SAMPLE_FLAGS } from '../node/cliFlags';
import { readCheckpointFlag } from '../node/resumeArgs';
import { sampleToDir } from '../node/sample';
import { SAMPLER_CLI_OPTIONS, SAMPLER_HELP, SAMPLER_USAGE, guideFromArgs, samplerFromArgs } from '../node/samplerArgs';

const USAGE = `usage: npm run sample -- --checkpoint DIR --n N --seed S --out OUT [--frames] [--batch B (1–1000)]\n  ${SAMPLER_USAGE}\n  ${BACKEND_USAGE}\nDDPM samplers:\n${SAMPLER_HELP}`;
const args = parseCli(USAGE, {
  ...BACKEND_CLI_OPTIONS,
  ...stringOptions(SAMPLE_FLAGS),
  frames: { type: 'boolean', default: false },
  ...SAMPLER_CLI_OPTIONS,
});
requireFlags(args, ['checkpoint', 'out']);
const f = flags(args, SAMPLE_FLAGS);
let sampler: ReturnType<typeof samplerFromArgs>;
let guide: ReturnType<typeof guideFromArgs>;
try {
  sampler = samplerFromArgs(args);
  guide = guideFromArgs(args);
} catch (e) {
  usageExit((e as Error).message);
}
await readCheckpointFlag('checkpoint', f.checkpoint!);
if (guide) await readCheckpointFlag('guide', guide.dir);

await useBackendFromArgs(args, USAGE);
try {
  const s = await sampleToDir({
    checkpoint: f.checkpoint!,
    out: f.out!,
    n: f.n,
    seed: f.seed,
    batch: f.batch,
    frames: args.frames,
    sampler,
    guide,
    log: (line) => console.log(line),
  });
  console.log(
    `wrote ${s.n} samples of ${s.checkpoint} (${s.sampler}, ${s.nfe} network calls/image` +
      (s.guidance ? `, guided toward class ${s.guidance.classes} with s = ${s.guidance.scale}: ${s.classifierCalls} classifier gradients/image` : '') +
      `, seed ${s.seed}) to ${path.resolve(f.out!)}: ` +
      `${s.imagesPerSecond.toFixed(1)} images/s, ${s.msPerImage.toFixed(1)} ms/image on ${s.backend}` +
      (s.frames ? `, frames for ${Math.min(s.n, 64)} samples` : ''),
  );
} catch (e) {
  console.error(`sample failed: ${errorLine(e)}`);
  process.exit(1);
}
