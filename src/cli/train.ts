/**
 * npm run train -- --model ddgan|ddpm|classifier|noisy-classifier …
 * Dispatches to the trainer of the chosen model kind; each parses its own options.
 *
 * Under the tsx CLI (`npm run train`) the training runs in a worker process that tsx does
 * not watch, so Ctrl-C saves instead of being answered with SIGKILL (src/node/tsxRelay.ts).
 */
import { installCliErrorHandler, usageExit } from '../node/args';
import { leaveTsxRelay } from '../node/tsxRelay';

installCliErrorHandler();
await leaveTsxRelay();

const TRAINERS: Record<string, () => Promise<unknown>> = {
  ddgan: () => import('./train-ddgan'),
  ddpm: () => import('./train-ddpm'),
  classifier: () => import('./train-classifier'),
  'noisy-classifier': () => import('./train-noisy-classifier'),
};

/** --model M or --model=M (default ddgan). */
function modelFlag(argv: readonly string[]): string {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--model') return argv[i + 1] ?? '';
    if (argv[i].startsWith('--model=')) return argv[i].slice('--model='.length);
  }
  return 'ddgan';
}

const model = modelFlag(process.argv.slice(2));
const load = Object.prototype.hasOwnProperty.call(TRAINERS, model) ? TRAINERS[model] : undefined;
if (!load) usageExit(`--model ${model}: use one of ${Object.keys(TRAINERS).join(', ')}`);
await load();

export {};
