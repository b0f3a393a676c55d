/**
 * npm run info [-- --checkpoint DIR]
 * Parameter counts and FLOPs per image, computed from the architectures (the default
 * configs of the shipped models, or the networks of a checkpoint).
 */
import { useNodeBackend } from '../node/backend';
import { loadCheckpointDir } from '../node/checkpointDir';
import { parseCli } from '../node/args';
import { Network } from '../core/models/network';
import { defaultGeneratorConfig } from '../core/models/generator';
import { defaultDiscriminatorConfig } from '../core/models/discriminator';

const args = parseCli('usage: npm run info [-- --checkpoint DIR]', { checkpoint: { type: 'string' } });
await useNodeBackend('wasm');

const rows: { name: string; net: Network }[] = [];
if (args.checkpoint) {
  const ck = await loadCheckpointDir(args.checkpoint);
  for (const [name, net] of Object.entries(ck.networks)) rows.push({ name, net });
} else {
  for (const channels of [1, 3]) {
    const g = defaultGeneratorConfig({ channels, baseChannels: 16, zEmbedDim: 64, tEmbedDim: 64 });
    rows.push({ name: `generator ${channels}-channel (shipped config)`, net: Network.create(g) });
    rows.push({ name: `discriminator ${channels}-channel`, net: Network.create(defaultDiscriminatorConfig({ channels, baseChannels: 24 })) });
  }
}
console.log('| network | kind | parameters | MFLOP per image (forward) |');
console.log('|---|---|---:|---:|');
for (const { name, net } of rows) {
  console.log(`| ${name} | ${net.config.kind} | ${net.paramCount().toLocaleString('en-US')} | ${(net.flopsPerExample() / 1e6).toFixed(1)} |`);
  net.dispose();
}
