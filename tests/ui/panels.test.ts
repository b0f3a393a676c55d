/**
 * What the panels say, rendered on the server against a store on a fake engine: the seed
 * note, the step heading following the slider, readable metric names in the Model panel
 * (the Compare view's table), plain words where a model or a measurement is missing, class
 * control's own batch and seed with the judge's verdict under every sample, DDPMs offered
 * only for the DD-GAN's data, whole model names, and the backend warnings.
 */
import { createElement } from 'react';
import { describe, expect, it } from 'vitest';
import { stepOfPosition } from '../../src/store/history';
import { urlStateOf } from '../../src/ui/urlState';
import { GeneratePanel } from '../../src/ui/GeneratePanel';
import { ModelPanel } from '../../src/ui/ModelPanel';
import { ComparePanel } from '../../src/ui/ComparePanel';
import { CompareRow } from '../../src/ui/CompareRow';
import { BackendDialog } from '../../src/ui/BackendDialog';
import { TrainPanel } from '../../src/ui/TrainPanel';
import { emptySeries } from '../../src/store/slices/trainSlice';
import { METRIC_INFO } from '../../src/ui/metricLabels';
import { aux, fakeApp, gen, render, textOf } from './fakeApp';
import { AUGMENTATIONS } from '../../src/shared/augment';

/** The shipped mnist-ddgan-t4's metrics as the index flattens them. */
const T4_METRICS = {
  frechetDistance: 3.4687667433881666,
  frechetDistanceFloor: 0.19745918557096764,
  precision: 0.711,
  recall: 0.934,
  classKlToUniform: 0.05756441932099082,
  confidentShare: 0.7085,
  classesPresent: 10,
  'evaluation.n': 2000,
  'evaluation.confidence': 0.9,
};

const RAW_NAMES = /frechetDistance|classKlToUniform|confidentShare|classesPresent|nearCopyShare/;

describe('Generate panel', () => {
  it('says which seed Generate uses, and the link after a run reproduces that run', async () => {
    const draws = [0.25, 0.5];
    const app = await fakeApp({ models: [gen('m', 4)], random: () => draws.shift() ?? 0.75 });
    const { store } = app;
    let html = render(store, createElement(GeneratePanel));
    expect(html).toContain(`value="${0x40000000}"`);
    expect(textOf(html)).toContain('Generate uses this seed');
    await store.getState().actions.generate();
    expect(app.generates[0].seed).toBe(0x40000000);
    html = render(store, createElement(GeneratePanel));
    expect(textOf(html)).toContain('Generate draws a new seed and shows it here');
    // The link: the run's model, batch and seed, even after the batch field changed.
    await store.getState().actions.setBatch(4);
    expect(urlStateOf(store.getState())).toMatchObject({ model: 'm', batch: 1, seed: 0x40000000 });
  });

  it('the step heading follows the slider (scrub and Play); "done" only on x₀', async () => {
    const { store } = await fakeApp({ models: [gen('m', 4)] });
    const heading = (): string => textOf(/<p class="step-counter"[^>]*>(.*?)<\/p>/s.exec(render(store, createElement(GeneratePanel)))![1]);
    await store.getState().actions.generate();
    expect(heading()).toBe('Step 4 of 4 · x₀, done');
    store.getState().actions.setPosition(0);
    expect(heading()).toBe('Step 1 of 4 · x₄ → x₃');
    store.getState().actions.stepPosition(2);
    expect(heading()).toBe('Step 3 of 4 · x₂ → x₁');
    // Play from the end starts at x₄ and the heading goes along.
    store.getState().actions.setPosition(4);
    store.getState().actions.setPlaying(true);
    expect(heading()).toBe('Step 1 of 4 · x₄ → x₃');
    store.getState().actions.stepPosition(1);
    expect(heading()).toBe('Step 2 of 4 · x₃ → x₂');
    expect([0, 1, 2, 3, 4].map((p) => stepOfPosition(4, p))).toEqual([1, 2, 3, 4, 4]);
  });
});

describe('Fine-tune panel', () => {
  it('shows a time left only while the run goes on, not after Stop', async () => {
    const { store } = await fakeApp({ models: [gen('m', 4)] });
    const series = emptySeries();
    for (let i = 1; i <= 10; i++) {
      series.iteration.push(i);
      for (const k of ['lossD', 'lossG', 'dReal', 'dFake', 'r1', 'diffusionT', 'rd'] as const) series[k].push(0.5);
      series.ms.push(500);
    }
    const at = (status: 'running' | 'paused' | 'stopped' | 'error') => {
      const t = store.getState().train;
      store.setState({ train: { ...t, status, iteration: 10, length: 10, series, settings: { ...t.settings, iterations: 100 } } });
      return textOf(/<dd data-testid="train-elapsed"[^>]*>(.*?)<\/dd>/s.exec(render(store, createElement(TrainPanel)))![1]);
    };
    // 90 iterations left at 2 it/s: 45 s.
    expect(at('running')).toMatch(/ETA 45\s?s/);
    expect(at('paused')).toMatch(/ETA/);
    expect(at('stopped')).not.toMatch(/ETA/);
    expect(at('error')).not.toMatch(/ETA/);
  });

  it('shows the augmentation choices as chosen, and a choice changes the settings a run starts with', async () => {
    const { store } = await fakeApp({ models: [gen('m', 4)] });
    const checked = (html: string) => AUGMENTATIONS.filter((a) => new RegExp(`<input type="checkbox" data-testid="augment-${a}" checked=""`).test(html));
    const start = store.getState().train.settings.augment ?? [];
    expect(checked(render(store, createElement(TrainPanel)))).toEqual([...start]);
    store.getState().actions.setTrainSettings({ augment: ['cutout'] });
    const html = render(store, createElement(TrainPanel));
    expect(checked(html)).toEqual(['cutout']);
    expect(html).toMatch(/data-testid="augment" data-value="cutout"/);
    store.getState().actions.setTrainSettings({ augment: [] });
    expect(render(store, createElement(TrainPanel))).toMatch(/data-testid="augment" data-value="none"/);
    expect(store.getState().train.settings.augment).toEqual([]);
  });

  it('shows each preview sample beside its nearest upload, as the worker paired them', async () => {
    const { store } = await fakeApp({ models: [gen('m', 4)] });
    const upload = (id: number, name: string) => ({ id, name, pixels: new Uint8Array(4).fill(id), size: 2, channels: 1, width: 2, height: 2, format: 'png' });
    const preview = { iteration: 6, frame: new Uint8ClampedArray(3 * 2 * 2 * 4), batch: 3, width: 2, height: 2 };
    const t = store.getState().train;
    store.setState({ train: { ...t, previews: [preview], runUploads: [upload(1, 'a.png'), upload(2, 'b.png')] } });
    // Without pairs (a built-in data set) there is no pairs section.
    expect(render(store, createElement(TrainPanel))).not.toContain('data-testid="preview-pairs"');
    store.setState({ train: { ...store.getState().train, previews: [{ ...preview, nearest: [1, 0, 1] }] } });
    const html = render(store, createElement(TrainPanel));
    expect(html).toMatch(/data-testid="preview-pairs" data-pairs="3" data-iteration="6"/);
    // One picture for all the pairs.
    expect(html.match(/<canvas[^>]*aria-label="Samples at iteration 6, each beside its nearest upload"/g)).toHaveLength(1);
    const pairs = [...html.matchAll(/<span[^>]*data-testid="preview-pair"[^>]*data-sample="(\d+)" data-nearest="(\d+)" title="([^"]*)"/g)].map((m) => [m[1], m[2], m[3]]);
    expect(pairs).toEqual([
      ['0', '1', 'sample 1 · nearest upload: b.png'],
      ['1', '0', 'sample 2 · nearest upload: a.png'],
      ['2', '1', 'sample 3 · nearest upload: b.png'],
    ]);
  });
});

describe('Model panel', () => {
  it('names every metric as the Compare view does, with what it means and what the floor is', async () => {
    const { store } = await fakeApp({ models: [gen('mnist-ddgan-t4', 4, { metrics: T4_METRICS })] });
    const text = textOf(render(store, createElement(ModelPanel)));
    expect(text).not.toMatch(RAW_NAMES);
    for (const k of ['frechetDistance', 'frechetDistanceFloor', 'precision', 'recall', 'confidentShare', 'classKlToUniform', 'classesPresent'] as const) {
      expect(text).toContain(`${METRIC_INFO[k].label} ${METRIC_INFO[k].format(T4_METRICS[k])} ${METRIC_INFO[k].explain}`);
    }
    expect(text).toContain('Fréchet distance 3.47');
    expect(text).toContain('Floor 0.20 the Fréchet distance between two sets of real images');
    expect(text).toContain('Precision 71 %');
    expect(text).toContain('on 2,000 samples');
    // The Compare rows read from the same table.
    const rowText = textOf(
      render(store, createElement(CompareRow, { row: { ...blankRow(), status: 'done' }, metrics: T4_METRICS })),
    );
    expect(rowText).toContain(`${METRIC_INFO.frechetDistance.label} 3.47`);
    expect(rowText).toContain(`${METRIC_INFO.confidentShare.label} 71 %`);
    expect(rowText).not.toMatch(RAW_NAMES);
  });
});

function blankRow() {
  return {
    id: 'ddpm',
    label: 'DDPM-1000',
    model: 'mnist-ddpm',
    sampler: 'ancestral' as const,
    metricKeys: [''],
    status: 'waiting' as const,
    steps: 0,
    step: 0,
    t: null,
    elapsedMs: 0,
    warmupMs: null,
    imagesPerSecond: null,
    download: null,
    frame: null,
    frameStep: 0,
    final: false,
    batch: 1,
    width: 2,
    height: 2,
    guided: false,
    target: null,
    judge: null,
    error: null,
  };
}

describe('Compare view', () => {
  const digits = (metrics = {}) => [gen('mnist-ddgan-t1', 1), gen('mnist-ddgan-t2', 2), gen('mnist-ddgan-t4', 4, { metrics: T4_METRICS }), ...(Object.keys(metrics).length ? [gen('mnist-ddgan-t8', 8, { metrics })] : [])];
  const support = (ddpmMetrics = {}) => [aux('mnist-classifier', 'judge'), aux('mnist-ddpm', 'ddpm', { metrics: { 'samplers.DDIM-50 (η = 0).frechetDistance': 3.71, ...ddpmMetrics } }), aux('mnist-noisy-classifier', 'guide')];

  it('says in plain words what is not there yet, and shows T = 8 and DDPM-1000 numbers once model.json has them', async () => {
    const before = await fakeApp({ models: digits(), auxiliary: support() });
    await before.store.getState().actions.runCompare();
    const html = render(before.store, createElement(ComparePanel));
    const text = textOf(html);
    expect(text).not.toMatch(/npm |npx |model\.json|index\.json/);
    expect(text).toContain('no T = 8 model ships with the app yet');
    expect(text).toContain('Quality: not measured yet for DDPM-1000.');
    expect(html).toMatch(/data-testid="ablation-t-8" data-missing="true"/);

    // The model team ships a T = 8 model and DDPM-1000 metrics: the same view shows them.
    const after = await fakeApp({
      models: digits({ frechetDistance: 4.2, precision: 0.7, recall: 0.9, confidentShare: 0.66, classesPresent: 10 }),
      auxiliary: support({ 'samplers.DDPM-1000 ancestral.frechetDistance': 3.2, 'samplers.DDPM-1000 ancestral.recall': 0.95 }),
    });
    await after.store.getState().actions.runCompare();
    const html2 = render(after.store, createElement(ComparePanel));
    expect(html2).toMatch(/data-testid="ablation-t-8" data-missing="false" data-model="mnist-ddgan-t8" data-evaluated="true"/);
    expect(textOf(html2)).toContain('8 mnist-ddgan-t8 100 · same budget 4.20 70 % 90 % 66 % 10');
    expect(html2).toMatch(/data-testid="compare-row-ddpm-metrics" data-evaluated="true"/);
    expect(html2).toMatch(/data-testid="compare-row-ddpm-metrics-frechetDistance" data-value="3.2"/);
    expect(textOf(html2)).not.toContain('not measured yet for DDPM-1000');
  });

  it('marks the rows trained for the same number of iterations, so the T ablation reads as models and not budgets', async () => {
    const at = (iterations: number) => ({ iterations });
    const models = [
      gen('mnist-ddgan-t1', 1, at(2512)),
      gen('mnist-ddgan-t2', 2, at(2512)),
      gen('mnist-ddgan-t4', 4, at(10140)),
      gen('mnist-ddgan-t4-2512', 4, at(2512)),
      gen('mnist-ddgan-t8', 8, at(2512)),
    ];
    const app = await fakeApp({ models, auxiliary: support() });
    const html = render(app.store, createElement(ComparePanel));
    expect(html).toMatch(/data-testid="ablation-matched" data-value="2512"/);
    const rows = [...html.matchAll(/data-testid="ablation-t-(\d)" data-missing="false" data-model="([^"]+)" data-evaluated="\w+" data-matched="(\w+)"/g)].map((m) => [m[1], m[2], m[3]]);
    expect(rows).toEqual([
      ['1', 'mnist-ddgan-t1', 'true'],
      ['2', 'mnist-ddgan-t2', 'true'],
      ['4', 'mnist-ddgan-t4-2512', 'true'],
      ['4', 'mnist-ddgan-t4', 'false'],
      ['8', 'mnist-ddgan-t8', 'true'],
    ]);
    expect(textOf(html)).toContain('4 mnist-ddgan-t4 10,140 ');
    // No two T values trained equally long: nothing is marked.
    const apart = await fakeApp({ models: [gen('a', 1, at(10)), gen('b', 4, at(20))], auxiliary: support() });
    const html2 = render(apart.store, createElement(ComparePanel));
    expect(html2).not.toContain('ablation-matched');
    expect(html2).not.toContain('data-matched="true"');
  });

  it('class control has its own batch and seed, and shows the judge’s verdict and confidence under every sample', async () => {
    const app = await fakeApp({ models: digits(), auxiliary: support() });
    const { actions } = app.store.getState();
    actions.setCompareSettings({ batch: 2, seed: 5, guidedBatch: 6, guidedSeed: 77, digit: 3, scale: 10 });
    await actions.runGuided();
    expect(app.compares.map((p) => [p.batch, p.seed])).toEqual([[6, 77]]);
    const html = render(app.store, createElement(ComparePanel));
    expect(html).toMatch(/data-testid="guided-batch"[^>]*value="6"/);
    expect(html).toMatch(/data-testid="guided-seed"[^>]*value="77"/);
    expect(textOf(html)).toContain('Draw 6 guided samples');
    const verdicts = [...html.matchAll(/<li class="(off)?" data-class="(\d)" data-confidence="([\d.]+)"[^>]*>(.*?)<\/li>/g)];
    expect(verdicts).toHaveLength(6);
    expect(verdicts.map((m) => Number(m[2]))).toEqual([5, 3, 3, 5, 3, 3]);
    // a verdict other than the digit asked for is marked
    expect(verdicts.map((m) => m[1] === 'off')).toEqual([true, false, false, true, false, false]);
    // under each sample's own picture: the class and the judge's confidence in it
    expect(verdicts[1][4]).toMatch(/^<canvas width="2" height="2" role="img" aria-label="sample 2"><\/canvas>/);
    expect(textOf(verdicts[1][4])).toBe(`3 · ${Math.round(100 * (0.4 + 0.5 / 6))} %`);
    expect(html).toMatch(/class="judged-samples"[^>]*style="grid-template-columns:repeat\(3, minmax\(0, 1fr\)\)"/);
  });

  it('lists every DDPM sampler as a row to pick; a picked DPM-Solver++ row shows the metrics eval stored for its step count', async () => {
    const app = await fakeApp({ models: digits(), auxiliary: support({ 'samplers.DPM-Solver++(2M)-20.frechetDistance': 3.58, 'samplers.DPM-Solver++(2M)-20.precision': 0.642 }) });
    const { actions } = app.store.getState();
    let html = render(app.store, createElement(ComparePanel));
    expect(html).toMatch(/data-testid="compare-pick-ddim"[^>]*checked/);
    expect(html).not.toMatch(/data-testid="compare-pick-dpm-solver"[^>]*checked/);
    expect(html).toMatch(/data-testid="compare-steps-dpm-solver"[^>]*value="20"/);
    expect(textOf(html)).toContain('DPM-Solver++ 20');
    actions.setCompareSettings({ baselines: app.store.getState().compare.settings.baselines.map((b) => ({ ...b, on: true })) });
    await actions.runCompare();
    html = render(app.store, createElement(ComparePanel));
    expect(app.store.getState().compare.trilemma.rows.map((r) => r.id)).toEqual(['ddgan', 'ddim', 'dpm-solver', 'ddpm']);
    expect(html).toMatch(/data-testid="compare-row-dpm-solver-metrics" data-evaluated="true"/);
    expect(html).toMatch(/data-testid="compare-row-dpm-solver-metrics-frechetDistance" data-value="3.58"/);
    expect(html).toMatch(/data-testid="compare-speedup-dpm-solver"/);
    expect(html).toMatch(/data-testid="guided-sampler-dpm-solver"/);
  });

  it('offers only DDPMs trained on the DD-GAN’s data, shows model names whole, and a cancelled row’s counter and picture agree', async () => {
    const app = await fakeApp({
      models: [gen('emoji-ddgan-t4', 4, { channels: 3, dataset: 'emoji' }), ...digits()],
      auxiliary: support(),
    });
    const { actions } = app.store.getState();
    actions.setCompareSettings({ ddgan: 'emoji-ddgan-t4', ddpm: 'mnist-ddpm' });
    let html = render(app.store, createElement(ComparePanel));
    const ddpmSelect = /<select data-testid="compare-ddpm"[^>]*>(.*?)<\/select>/s.exec(html)![1];
    expect(textOf(ddpmSelect)).toBe('none trained on emoji');
    expect(textOf(html)).toContain('No DDPM trained on emoji ships with the app');
    expect(textOf(/<select data-testid="compare-ddgan"[^>]*>(.*?)<\/select>/s.exec(html)![1])).toContain('emoji-ddgan-t4 (T = 4, emoji: no DDPM)');

    actions.setCompareSettings({ ddgan: 'mnist-ddgan-t4' });
    app.cancelAtStep = 96;
    await actions.runCompare();
    html = render(app.store, createElement(ComparePanel));
    // whole names on their own line, no ellipsis
    expect(html).toContain('<span class="compare-row-model muted small" data-testid="compare-row-ddgan-model">mnist-ddgan-t4</span>');
    const ddpm = app.store.getState().compare.trilemma.rows.find((r) => r.id === 'ddpm')!;
    expect(ddpm).toMatchObject({ status: 'cancelled', step: 95, frameStep: 81 });
    const t = textOf(/data-testid="compare-row-ddpm"(.*?)<\/figure>/s.exec(html)![1]);
    expect(t).toContain('cancelled after step 95 of 1000; picture from step 81, its last preview');
    expect(t).toContain('95 / 1000 · cancelled');
    expect(t).not.toMatch(/preview after step 81(?! of)/);
  });
});

describe('backend warning', () => {
  it('asks before a software WebGPU adapter, saying what it costs, that it is not remembered and how to undo it', async () => {
    const { store } = await fakeApp({
      models: [gen('m', 4)],
      adapter: { available: true, vendor: 'google', architecture: 'swiftshader', device: '', description: '', isFallbackAdapter: true },
    });
    expect(render(store, createElement(BackendDialog))).toBe('<dialog class="backend-dialog" data-testid="backend-dialog" aria-labelledby="backend-dialog-title"></dialog>');
    await store.getState().actions.initEngine('webgpu');
    const text = textOf(render(store, createElement(BackendDialog)));
    expect(text).toContain('Switch to WebGPU on a software adapter?');
    expect(text).toMatch(/google · swiftshader|google \/ swiftshader/);
    expect(text).toContain('40 times slower than wasm');
    expect(text).toContain('this visit only');
    expect(text).toContain('Stay on wasm');
    await store.getState().actions.initEngine('webgpu', { confirmed: true });
    const gp = textOf(render(store, createElement(GeneratePanel)));
    expect(gp).toContain('a software adapter');
    expect(gp).toContain('This choice is not remembered: the next visit starts on auto.');
    expect(gp).toContain('Back to auto');
  });
});
