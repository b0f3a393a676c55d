/**
 * npm run sample -- --checkpoint DIR --n N --seed S --out OUT [--frames] [--batch B]
 *                   [--sampler ancestral|ddim] [--steps S] [--eta E]
 *                   [--class Y|all] [--scale S] [--guide DIR]
 *
 * Writes OUT/samples/00000.png … (one PNG per sample at the model's resolution),
 * OUT/grid.png (up to 256 samples, 2×), OUT/samples.json (seed, sampler, NFE, guidance,
 * checkpoint, timing) and, with --frames, OUT/frames/step-<k>-xk.png and step-<k>-x0pred.png
 * for the first 64 samples (DDPM: about 10 evenly spaced steps).
 *
 * DD-GAN checkpoints run their T steps; DDPM checkpoints (network kind 'ddpm-eps') run
 * --sampler ancestral (all 1000 steps) or ddim (default: 50 steps, η = 0). --class steers
 * either kind toward a class with the noise-aware classifier --guide (classifier guidance).
 * The same checkpoint, options, seed and batch size give byte-identical PNGs on the same backend.
 */
import path from 'node:path';
import { useNodeBackend } from '../node/backend';
import { num, parseCli } from '../node/args';
import { sampleToDir } from '../node/sample';
import { SAMPLER_CLI_OPTIONS, SAMPLER_USAGE, guideFromArgs, samplerFromArgs } from '../node/samplerArgs';

const USAGE = `usage: npm run sample -- --checkpoint DIR --n N --seed S --out OUT [--frames] [--batch B]\n  ${SAMPLER_USAGE}`;
const args = parseCli(USAGE, {
  checkpoint: { type: 'string' },
  n: { type: 'string' },
  seed: { type: 'string' },
  out: { type: 'string' },
  batch: { type: 'string' },
  frames: { type: 'boolean', default: false },
  ...SAMPLER_CLI_OPTIONS,
});
if (!args.checkpoint || !args.out) {
  console.error(`${!args.checkpoint ? '--checkpoint' : '--out'} is required\n\n${USAGE}`);
  process.exit(2);
}
const n = num(args.n, 'n', 64);
const batch = num(args.batch, 'batch', 64);
if (!Number.isInteger(n) || n < 1 || !Number.isInteger(batch) || batch < 1) {
  console.error(`--n and --batch must be positive whole numbers\n\n${USAGE}`);
  process.exit(2);
}
let sampler: ReturnType<typeof samplerFromArgs>;
let guide: ReturnType<typeof guideFromArgs>;
try {
  sampler = samplerFromArgs(args);
  guide = guideFromArgs(args);
} catch (e) {
  console.error(`${(e as Error).message}\n\n${USAGE}`);
  process.exit(2);
}

await useNodeBackend('wasm');
try {
  const s = await sampleToDir({
    checkpoint: args.checkpoint,
    out: args.out,
    n,
    seed: num(args.seed, 'seed', 0),
    batch,
    frames: args.frames,
    sampler,
    guide,
    log: (line) => console.log(line),
  });
  console.log(
    `wrote ${s.n} samples of ${s.checkpoint} (${s.sampler}, ${s.nfe} network calls/image` +
      (s.guidance ? `, guided toward class ${s.guidance.classes} with s = ${s.guidance.scale}: ${s.classifierCalls} classifier gradients/image` : '') +
      `, seed ${s.seed}) to ${path.resolve(args.out)}: ` +
      `${s.imagesPerSecond.toFixed(1)} images/s, ${s.msPerImage.toFixed(1)} ms/image on ${s.backend}` +
      (s.frames ? `, frames for ${Math.min(s.n, 64)} samples` : ''),
  );
} catch (e) {
  console.error(`sample failed: ${(e as Error).message}`);
  process.exit(1);
}
