/**
 * npm run train -- --model ddgan|ddpm|classifier|noisy-classifier … (--help: the kind's options)
 *
 * Every kind is a TrainSpec (src/node/trainSpecs/*) run by the one driver of
 * src/node/trainCommand.ts: flags checked before the backend starts, resume or create, the
 * loop with --save-every / --minutes / Ctrl-C, checked saves.
 *
 * Under the tsx CLI (`npm run train`) the training runs in a worker process that tsx does
 * not watch, so Ctrl-C saves instead of being answered with SIGKILL (src/node/tsxRelay.ts).
 */
import { installCliErrorHandler, usageExit } from '../node/args';
import { runTrainCommand } from '../node/trainCommand';
import { leaveTsxRelay } from '../node/tsxRelay';

installCliErrorHandler();
await leaveTsxRelay();

/** The kinds by --model value; each module is loaded only when its kind is trained. */
const TRAINERS = {
  ddgan: async () => runTrainCommand((await import('../node/trainSpecs/ddgan')).DDGAN_TRAINING),
  ddpm: async () => runTrainCommand((await import('../node/trainSpecs/ddpm')).DDPM_TRAINING),
  classifier: async () => runTrainCommand((await import('../node/trainSpecs/classifier')).CLASSIFIER_TRAINING),
  'noisy-classifier': async () => runTrainCommand((await import('../node/trainSpecs/noisyClassifier')).NOISY_CLASSIFIER_TRAINING),
} as const satisfies Record<string, () => Promise<string>>;

/** --model M or --model=M (default ddgan). */
function modelFlag(argv: readonly string[]): string {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--model') return argv[i + 1] ?? '';
    if (argv[i].startsWith('--model=')) return argv[i].slice('--model='.length);
  }
  return 'ddgan';
}

const model = modelFlag(process.argv.slice(2));
const train = Object.prototype.hasOwnProperty.call(TRAINERS, model) ? TRAINERS[model as keyof typeof TRAINERS] : undefined;
if (!train) usageExit(`--model ${model}: use one of ${Object.keys(TRAINERS).join(', ')}`);
await train();
