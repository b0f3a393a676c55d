/**
 * npm run bench [-- --only kernels]
 * Timing tables, measured in one run on this machine. Sections:
 *  - kernels: the wasm conv gradient kernels against the wasm forward conv on the same
 *    shapes (GFLOP/s, median of repeated runs), and the stock Conv2DBackpropInput for contrast.
 */
import * as tf from '@tensorflow/tfjs';
import { useNodeBackend } from '../node/backend';
import { parseCli } from '../node/args';
import { benchKernels } from '../node/benchKernels';

const args = parseCli('usage: npm run bench [-- --only kernels] [--repeats N]', {
  only: { type: 'string' },
  repeats: { type: 'string', default: '7' },
});
await useNodeBackend('wasm');
console.log(`backend ${tf.getBackend()}, tfjs ${tf.version.tfjs}, node ${process.version}`);
if (!args.only || args.only === 'kernels') {
  console.log('\n## wasm conv kernels (GFLOP/s, median)\n');
  console.log(await benchKernels(Number(args.repeats)));
}
