/**
 * npm run train -- --model ddgan|ddpm|classifier|noisy-classifier …
 * Dispatches to the trainer of the chosen model kind; each parses its own options.
 */
const i = process.argv.indexOf('--model');
const model = i >= 0 ? process.argv[i + 1] : 'ddgan';
const trainers: Record<string, () => Promise<unknown>> = {
  ddgan: () => import('./train-ddgan'),
  ddpm: () => import('./train-ddpm'),
  classifier: () => import('./train-classifier'),
  'noisy-classifier': () => import('./train-noisy-classifier'),
};
const load = trainers[model ?? ''];
if (!load) {
  console.error(`unknown --model "${model}"; choose one of: ${Object.keys(trainers).join(', ')}`);
  process.exit(2);
}
await load();

export {};
