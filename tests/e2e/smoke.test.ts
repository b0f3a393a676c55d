/**
 * Smoke test of the browser side: real Chromium, real worker, real WebGPU adapter.
 *
 * On this kind of machine (no GPU) Chromium's WebGPU adapter is SwiftShader, a CPU
 * emulation (DESIGN §4). The first page asks for webgpu explicitly to prove the whole
 * webgpu chain (adapter → backend in the worker → kernels → `await data()` readback); the
 * second lets 'auto' decide, which must pick wasm for a software adapter. Models are tiny:
 * WebGPU on SwiftShader runs at well under 1 GFLOP/s and compiles every shader on first use.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitForState, type Harness, type TrackedPage } from './harness';
import { TINY_MODEL, buildTinyCheckpoint, ensureCpuBackend } from '../fixtures/tinyCheckpoint';

const INIT_TIMEOUT = 120_000;
const PROBE_TIMEOUT = 240_000;

let h: Harness;

beforeAll(async () => {
  // The app loads a model on start; the tiny fixture keeps that cheap next to the probe.
  await ensureCpuBackend();
  const tiny = await buildTinyCheckpoint();
  h = await startHarness({ fixtures: [{ name: TINY_MODEL, modelJson: tiny.modelJson, weights: tiny.weights }] });
});

afterAll(async () => {
  await h?.close();
});

/** Reads a `data-*` attribute of a `data-testid` element (the app's machine-readable copies). */
async function attr(t: TrackedPage, testId: string, name: string): Promise<string> {
  const v = await t.page.getByTestId(testId).getAttribute(name);
  if (v === null) throw new Error(`[data-testid=${testId}] has no ${name}`);
  return v;
}

/** Waits for init; on failure reports the engine's own error text and the page's problems. */
async function waitForEngine(t: TrackedPage): Promise<void> {
  const state = await waitForState(t.page, 'engine-status', ['ready', 'error'], INIT_TIMEOUT);
  if (state !== 'ready') {
    const err = await t.page.getByTestId('engine-error').innerText();
    throw new Error(`engine init failed: ${err}\n${t.problemLines().join('\n')}`);
  }
}

async function openDiagnostics(t: TrackedPage): Promise<void> {
  const details = t.page.getByTestId('diagnostics');
  if (!(await details.evaluate((d: HTMLDetailsElement) => d.open))) await details.locator('summary').click();
}

interface ProbeOutcome {
  shape: number[];
  min: number;
  max: number;
  nonFinite: number;
  before: number;
  after: number;
  forwardMs: number;
  wallMs: number;
}

/** Sets a small config in the form, presses the button, waits for the result. */
async function runProbe(t: TrackedPage, baseChannels: number, batch: number): Promise<ProbeOutcome> {
  const { page } = t;
  // The self-test lives in the collapsed Diagnostics panel.
  await openDiagnostics(t);
  await page.getByTestId('probe-base-channels').fill(String(baseChannels));
  await page.getByTestId('probe-batch').fill(String(batch));
  const button = page.getByRole('button', { name: 'Run generator self-test' });
  await expect.poll(() => button.isEnabled()).toBe(true);
  const t0 = Date.now();
  await button.click();
  const state = await waitForState(page, 'probe-status', ['done', 'error'], PROBE_TIMEOUT);
  const wallMs = Date.now() - t0;
  if (state !== 'done') {
    const err = await page.getByTestId('probe-error').innerText();
    throw new Error(`generator probe failed: ${err}\n${t.problemLines().join('\n')}`);
  }
  return {
    shape: JSON.parse(await attr(t, 'probe-shape', 'data-value')) as number[],
    min: Number(await attr(t, 'probe-range', 'data-min')),
    max: Number(await attr(t, 'probe-range', 'data-max')),
    nonFinite: Number(await attr(t, 'probe-range', 'data-nonfinite')),
    before: Number(await attr(t, 'probe-tensors', 'data-before')),
    after: Number(await attr(t, 'probe-tensors', 'data-after')),
    forwardMs: Number(await attr(t, 'probe-ms', 'data-forward-ms')),
    wallMs,
  };
}

/**
 * Waits for the tiny model to load and checks the batch limit the engine measured for it
 * (Model panel): positive, under the named limit with its headroom, one more batch over it,
 * and far above every offered batch, so no batch radio is disabled.
 */
async function expectBatchLimit(t: TrackedPage, limitName: RegExp): Promise<string> {
  const state = await waitForState(t.page, 'model-status', ['ready', 'error'], INIT_TIMEOUT);
  if (state !== 'ready') throw new Error(`model load failed: ${await t.page.getByTestId('model-error').innerText()}\n${t.problemLines().join('\n')}`);
  const num = async (name: string): Promise<number> => Number(await attr(t, 'model-max-batch', name));
  const maxBatch = await num('data-value');
  const bytes = await num('data-bytes-per-example');
  const safety = await num('data-safety');
  const limitBytes = await num('data-limit-bytes');
  const name = await attr(t, 'model-max-batch', 'data-limit-name');
  expect(name).toMatch(limitName);
  expect(bytes).toBeGreaterThan(0);
  expect(maxBatch).toBeGreaterThanOrEqual(64);
  expect(maxBatch * bytes * safety).toBeLessThanOrEqual(limitBytes);
  expect((maxBatch + 1) * Math.ceil(bytes * safety)).toBeGreaterThan(limitBytes);
  for (const b of [1, 4, 16, 64]) expect(await t.page.getByTestId(`batch-${b}`).isDisabled()).toBe(false);
  return `max batch ${maxBatch} (${bytes} B per image × ${safety} under ${name} ${limitBytes} B)`;
}

function expectHealthyProbe(p: ProbeOutcome): void {
  expect(p.shape).toEqual([2, 32, 32, 1]);
  expect(p.nonFinite).toBe(0);
  // tanh output: inside [-1, 1], and a random-weight net should not be constant.
  expect(p.min).toBeGreaterThanOrEqual(-1);
  expect(p.max).toBeLessThanOrEqual(1);
  expect(p.max).toBeGreaterThan(p.min);
  // No leak: the network and every intermediate were disposed (the loaded model's weights
  // are counted in both).
  expect(p.after).toBe(p.before);
}

describe('app shell in Chromium', () => {
  it('runs the generator on WebGPU when asked, on the software (SwiftShader) adapter', async () => {
    const t = await h.newPage();
    const { page } = t;
    const tStart = Date.now();
    await page.goto(`${h.baseUrl}/?backend=webgpu&model=${TINY_MODEL}&batch=1`);
    await expect.poll(() => page.getByTestId('title').innerText()).toBe('ddgan-web');
    await openDiagnostics(t);
    await expect.poll(() => page.getByRole('button', { name: 'Run generator self-test' }).isVisible()).toBe(true);

    await waitForEngine(t);
    const initMs = Date.now() - tStart;
    expect(await attr(t, 'backend', 'data-value')).toBe('webgpu');
    expect(await attr(t, 'adapter', 'data-available')).toBe('true');
    const arch = await attr(t, 'adapter', 'data-architecture');
    const desc = await attr(t, 'adapter', 'data-description');
    const fallback = await attr(t, 'adapter', 'data-fallback');
    // This machine has no GPU: Chromium's adapter must be the software one.
    expect(/swiftshader/i.test(`${arch} ${desc}`) || fallback === 'true').toBe(true);
    expect(await attr(t, 'backend-reason', 'data-value')).toMatch(/requested explicitly/);

    const limit = await expectBatchLimit(t, /^max(StorageBufferBindingSize|BufferSize)$/);
    console.log(`webgpu batch limit: ${limit}`);

    const probe = await runProbe(t, 8, 2);
    expect(await attr(t, 'probe-backend', 'data-value')).toBe('webgpu');
    expectHealthyProbe(probe);

    const shot = await h.screenshot(page, 'smoke-webgpu');
    console.log(
      `webgpu: adapter ${JSON.stringify({ arch, desc, fallback })}; page→ready ${initMs} ms; probe forward ${probe.forwardMs.toFixed(0)} ms, ` +
        `click→done ${probe.wallMs} ms; range [${probe.min.toFixed(3)}, ${probe.max.toFixed(3)}]; screenshot ${shot}`,
    );
    if (t.log.length > 0) console.log(`webgpu page console:\n${t.log.join('\n')}`);
    expect(t.problemLines()).toEqual([]);
    await page.close();
  });

  it("picks wasm with 'auto' on the software adapter, and the probe works there too", async () => {
    const t = await h.newPage();
    const { page } = t;
    const tStart = Date.now();
    await page.goto(`${h.baseUrl}/?model=${TINY_MODEL}&batch=1`);
    await waitForEngine(t);
    const initMs = Date.now() - tStart;
    expect(await attr(t, 'backend', 'data-value')).toBe('wasm');
    expect(await attr(t, 'backend-reason', 'data-value')).toMatch(/^auto: .*software/);

    const limit = await expectBatchLimit(t, /^wasmTensorBudget$/);
    expect(await attr(t, 'model-max-batch', 'data-limit-bytes')).toBe(String(1024 ** 3));
    console.log(`wasm batch limit: ${limit}`);

    const probe = await runProbe(t, 8, 2);
    expect(await attr(t, 'probe-backend', 'data-value')).toBe('wasm');
    expectHealthyProbe(probe);

    const shot = await h.screenshot(page, 'smoke-auto-wasm');

    // A config the core rejects comes back as a typed error, not a crash: 12 channels do not
    // split into the default 8 groups. Validation runs before any tensor is made (cheap).
    await page.getByTestId('probe-base-channels').fill('12');
    await page.getByRole('button', { name: 'Run generator self-test' }).click();
    expect(await waitForState(page, 'probe-status', ['done', 'error'], PROBE_TIMEOUT)).toBe('error');
    expect(await attr(t, 'probe-error', 'data-code')).toBe('invalid-config');
    expect(await attr(t, 'probe-error', 'data-name')).toBe('InvalidConfigError');
    expect(await page.getByTestId('probe-error').innerText()).toContain('groups');
    await h.screenshot(page, 'smoke-invalid-config');
    console.log(
      `auto→wasm: page→ready ${initMs} ms; probe forward ${probe.forwardMs.toFixed(0)} ms, click→done ${probe.wallMs} ms; ` +
        `range [${probe.min.toFixed(3)}, ${probe.max.toFixed(3)}]; screenshot ${shot}`,
    );
    if (t.log.length > 0) console.log(`wasm page console:\n${t.log.join('\n')}`);
    expect(t.problemLines()).toEqual([]);
    await page.close();
  });
});
