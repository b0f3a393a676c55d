/**
 * Child process of the thread-scaling benchmark (src/node/benchThreads.ts):
 * `tsx benchThreadsChild.ts --threads N [--tiny] [--repeats R]` prints one JSON line.
 */
import { parseCli } from './args';
import { useNodeBackend } from './backend';
import { measureThreadPoint, type ThreadRun } from './benchThreads';
import { parseThreadCount, wasmThreadCount } from './wasmThreads';

const args = parseCli('usage: tsx src/node/benchThreadsChild.ts --threads N [--tiny] [--repeats R]', {
  threads: { type: 'string' },
  tiny: { type: 'boolean', default: false },
  repeats: { type: 'string' },
});
await useNodeBackend('wasm', { threads: parseThreadCount(args.threads) });
const points = await measureThreadPoint({ tiny: args.tiny, repeats: args.repeats ? Number(args.repeats) : undefined });
const result: ThreadRun = { threads: wasmThreadCount(), points };
console.log(JSON.stringify(result));
