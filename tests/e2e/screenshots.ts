/**
 * The README picture, kept current: drives the built app in headless Chromium with the
 * shipped models (Generate at batch 16, seed 2022) and writes public/screenshot.png (desktop,
 * 1280×800 viewport), plus the same at phone size in test-results/. Builds nothing itself:
 *
 *   npm run build && npm run screenshot [-- model]      (npx tsx tests/e2e/screenshots.ts)
 *
 * It refuses to write the picture when dist/ does not serve the models under public/models/
 * (a stale build), when the page reports an error, or when the run does not finish.
 */
import { copyFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { REPO_ROOT, RESULTS_DIR, startHarness, waitForState } from './harness';
import { waitModelReady } from './appDriver';

const args = process.argv.slice(2);
const model = args.find((a) => !a.startsWith('--')) ?? 'mnist-ddgan-t4';
const SEED = 2022;
const README_PICTURE = path.join(REPO_ROOT, 'public', 'screenshot.png');

/** The shipped model.json and the one dist/ serves must be the same file. */
async function checkBuildServesShippedModel(name: string): Promise<{ iterations: number | null }> {
  const shipped = await readFile(path.join(REPO_ROOT, 'public', 'models', name, 'model.json'), 'utf8').catch(() => null);
  if (shipped === null) throw new Error(`no shipped model ${name} under public/models/`);
  const built = await readFile(path.join(REPO_ROOT, 'dist', 'models', name, 'model.json'), 'utf8').catch(() => null);
  if (built !== shipped) throw new Error(`dist/ does not serve the shipped ${name} (${built === null ? 'missing' : 'an older copy'}): run \`npm run build\` first`);
  const json = JSON.parse(shipped) as { training?: { iterations?: number } };
  return { iterations: typeof json.training?.iterations === 'number' ? json.training.iterations : null };
}

const { iterations } = await checkBuildServesShippedModel(model);
const h = await startHarness();
let failed = false;
try {
  const shots: string[] = [];
  for (const [width, height, batch] of [
    [1280, 800, 16],
    [390, 844, 16],
  ] as const) {
    const t = await h.newPage({ viewport: { width, height } });
    // A seed in the URL generates as soon as the model is warm.
    await t.page.goto(`${h.baseUrl}/?model=${model}&batch=${batch}&seed=${SEED}`);
    await waitModelReady(t, 600_000);
    await waitForState(t.page, 'gen-status', ['done'], 600_000);
    const shown = await t.page.getByTestId('model-training').getAttribute('data-value');
    if (iterations !== null && shown !== String(iterations)) throw new Error(`the page shows ${model} at ${shown} iterations, the shipped model.json says ${iterations}`);
    const file = path.join(RESULTS_DIR, `real-${model}-${width}x${height}.png`);
    await t.page.screenshot({ path: file });
    shots.push(file);
    const problems = t.problemLines();
    if (problems.length) {
      failed = true;
      console.error(`problems at ${width}x${height}:\n${problems.join('\n')}`);
    }
    await t.page.close();
  }
  if (failed) throw new Error('the page reported problems: public/screenshot.png left as it was');
  await copyFile(shots[0], README_PICTURE);
  console.log([...shots, `${README_PICTURE} (${model}, ${iterations ?? '?'} iterations, seed ${SEED})`].join('\n'));
} finally {
  await h.close();
}
