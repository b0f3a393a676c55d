/**
 * Ships a base model's discriminator beside its generator, so fine-tuning (in the tab and
 * with `npm run train -- --init`) starts D from one that already knows the base's images
 * instead of from random weights (src/worker/trainingSession.ts, `usableDiscriminator`).
 *
 *   npx tsx src/scripts/add-discriminator.ts --model public/models/emoji-ddgan-t4 --state training/emoji-ddgan-t4
 *
 * The shipped model and the resume state must be the same run at the same iteration: the
 * generator is the state's EMA generator, checked equal to the shipped one weight for weight,
 * and model.json keeps everything else it had (metrics included). Generating does not load D.
 */
import { parseArgs } from 'node:util';
import { loadCheckpointDir, readModelJson, saveCheckpointDir } from '../node/checkpointDir';
import { useNodeBackend } from '../node/backend';
import { serializeCheckpoint, disposeCheckpoint } from '../core/models/checkpoint';

const { values: a } = parseArgs({ options: { model: { type: 'string' }, state: { type: 'string' } } });
if (!a.model || !a.state) {
  console.error('usage: npx tsx src/scripts/add-discriminator.ts --model SHIPPED_DIR --state RESUME_STATE_DIR');
  process.exit(2);
}
await useNodeBackend('wasm', { threads: 1 });
const shipped = await loadCheckpointDir(a.model);
const state = await loadCheckpointDir(a.state);
try {
  const G = shipped.networks.generator;
  const ema = state.networks.generatorEma;
  const D = state.networks.discriminator;
  if (!G || !ema || !D) throw new Error(`${a.model} needs a generator and ${a.state} a generatorEma and a discriminator`);
  for (const [name, v] of G.params.vars) {
    const w = ema.params.vars.get(name);
    const other = w ? ((await w.data()) as Float32Array) : null;
    const same = other !== null && ((await v.data()) as Float32Array).every((x, i) => x === other[i]);
    if (!same) throw new Error(`weight ${name} of ${a.model} differs from the state's EMA generator: not the same run and iteration`);
  }
  const { networks: _n, weightsManifest: _w, ...meta } = await readModelJson(a.model);
  const ck = await serializeCheckpoint(meta, { generator: G, discriminator: D });
  await saveCheckpointDir(a.model, ck);
  console.log(`${a.model}: generator (${G.paramCount().toLocaleString()} parameters) and discriminator (${D.paramCount().toLocaleString()}) from ${a.state}`);
} finally {
  disposeCheckpoint(shipped);
  disposeCheckpoint(state);
}
