/**
 * Screenshots of the built app with a shipped model after a Generate, at desktop and phone
 * sizes (for the README and for looking at the real thing). Run after `npx vite build`:
 *
 *   npx tsx tests/e2e/screenshots.ts [model] [--readme]
 *
 * Writes test-results/real-<model>-1280x800.png and -390x844.png (viewport, not full page);
 * with --readme, also copies the desktop one to public/screenshot.png.
 */
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { REPO_ROOT, RESULTS_DIR, startHarness, waitForState } from './harness';
import { waitModelReady } from './appDriver';

const args = process.argv.slice(2);
const readme = args.includes('--readme');
const model = args.find((a) => !a.startsWith('--')) ?? 'mnist-ddgan-t4';
const SEED = 2022;

const h = await startHarness();
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
    const file = path.join(RESULTS_DIR, `real-${model}-${width}x${height}.png`);
    await t.page.screenshot({ path: file });
    shots.push(file);
    const problems = t.problemLines();
    if (problems.length) console.log(`problems at ${width}x${height}:\n${problems.join('\n')}`);
    await t.page.close();
  }
  if (readme) await copyFile(shots[0], path.join(REPO_ROOT, 'public', 'screenshot.png'));
  console.log(shots.join('\n'));
} finally {
  await h.close();
}
