/**
 * The mode-coverage lab: pick a 2-D data set, recipes (GAN, Diffusion-GAN, DD-GAN with
 * T = 2 / 4 / 8) and a budget, train them side by side in the worker, and watch each one's
 * samples over the real data with the metrics of DESIGN §2.6 next to it. DD-GAN plots get a
 * slider over the denoising chain x_T → x_0 of the plotted points; Diffusion-GAN's adaptive
 * T is charted over training.
 *
 * Components only read the store and call its actions; training, sampling and scoring run
 * in the worker. Numbers that tests read sit in `data-*` attributes next to `data-testid`s.
 */
import { useMemo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { isLabBusy, isTraining, labIteration, labSecondsLeft } from '../store/store';
import type { LabRecipeView, LabSettingsFields } from '../store/types';
import { TOY_LAB_DATASETS, TOY_LAB_LIMITS, TOY_LAB_RECIPES, TOY_LAB_RECIPE_LABELS, type ToyDatasetName, type ToyLabRecipeId } from '../worker/protocol';
import { ErrorBox, Progress, StatusPill, fmtBytes, fmtDuration, xSub } from './common';
import { LabTChart } from './LabTChart';
import { ScatterPlot } from './ScatterPlot';
import { useApp } from './storeContext';

const DATASET_LABELS: Record<ToyDatasetName, string> = {
  grid25: '25 Gaussians (5×5 grid)',
  ring8: 'Ring of 8 Gaussians',
  swissroll: 'Swiss roll',
  moons: 'Two moons',
};

const RECIPE_COLOURS: Record<ToyLabRecipeId, string> = {
  gan: '#d64545',
  'diffusion-gan': '#c98a00',
  'ddgan-t2': '#1f9d55',
  'ddgan-t4': '#2471a3',
  'ddgan-t8': '#7d3c98',
};

const RECIPE_NOTES: Record<ToyLabRecipeId, string> = {
  gan: 'one-shot generator, plain D',
  'diffusion-gan': 'one-shot generator, D sees diffused points, T adapts',
  'ddgan-t2': '2 denoising steps, each a conditional GAN',
  'ddgan-t4': '4 denoising steps, each a conditional GAN',
  'ddgan-t8': '8 denoising steps, each a conditional GAN',
};

const fmt = (v: number | null | undefined, digits: number): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits));
const pct = (v: number | null | undefined): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : `${(100 * v).toFixed(1)} %`);
/** A number for a data attribute ('' when absent, 'NaN' stays 'NaN'). */
const attr = (v: number | null | undefined): string => (v === null || v === undefined ? '' : String(v));

function LabField({ label, k, disabled, step = 1 }: { label: string; k: keyof LabSettingsFields; disabled: boolean; step?: number }) {
  const v = useApp((s) => s.lab.settings[k]);
  const actions = useApp((s) => s.actions);
  const [min, max] = TOY_LAB_LIMITS[k];
  return (
    <label className="field">
      <span>{label}</span>
      <input
        type="number"
        data-testid={`lab-${k}`}
        value={v}
        min={min}
        max={max}
        step={step}
        disabled={disabled}
        onChange={(e) => {
          const n = e.target.valueAsNumber;
          // Half-typed or out-of-range values keep the last valid setting.
          if (Number.isInteger(n) && n >= min && n <= max) actions.setLabSettings({ [k]: n });
        }}
      />
    </label>
  );
}

function LabSettings({ busy }: { busy: boolean }) {
  const { dataset, recipes } = useApp(useShallow((s) => ({ dataset: s.lab.dataset, recipes: s.lab.recipes })));
  const actions = useApp((s) => s.actions);
  return (
    <fieldset className="lab-settings" disabled={busy}>
      <legend>Run</legend>
      <div className="lab-choices">
        <label className="field">
          <span>Data set</span>
          <select data-testid="lab-dataset" value={dataset} onChange={(e) => actions.setLabDataset(e.target.value as ToyDatasetName)}>
            {TOY_LAB_DATASETS.map((d) => (
              <option key={d} value={d}>
                {DATASET_LABELS[d]}
              </option>
            ))}
          </select>
        </label>
        <div className="lab-recipes" role="group" aria-label="Recipes">
          {TOY_LAB_RECIPES.map((id) => (
            <label key={id} className="check" title={RECIPE_NOTES[id]}>
              <input type="checkbox" data-testid={`lab-recipe-${id}`} checked={recipes.includes(id)} onChange={(e) => actions.toggleLabRecipe(id, e.target.checked)} />
              <span className="swatch" style={{ background: RECIPE_COLOURS[id] }} aria-hidden="true" />
              {TOY_LAB_RECIPE_LABELS[id]}
            </label>
          ))}
        </div>
      </div>
      <div className="settings-grid">
        <LabField label="Iterations (each)" k="iterations" step={100} disabled={busy} />
        <LabField label="Report every" k="reportEvery" step={10} disabled={busy} />
      </div>
      <details className="lab-advanced">
        <summary>Networks and sampling</summary>
        <div className="settings-grid">
          <LabField label="Batch" k="batch" step={16} disabled={busy} />
          <LabField label="Width" k="hidden" step={16} disabled={busy} />
          <LabField label="Hidden layers" k="layers" disabled={busy} />
          <LabField label="Samples scored" k="samples" step={100} disabled={busy} />
          <LabField label="Points plotted" k="scatter" step={100} disabled={busy} />
          <LabField label="Seed" k="seed" disabled={busy} />
        </div>
      </details>
    </fieldset>
  );
}

/** The points a plot shows: the latest sample, or for DD-GAN the chosen step of its chain. */
function shownPoints(r: LabRecipeView, step: number | undefined): { points: Float32Array | null; step: number | null } {
  const tr = r.trajectory;
  if (!tr || !r.points) return { points: r.points, step: null };
  const s = step === undefined ? tr.T : Math.max(0, Math.min(tr.T, step));
  const per = r.points.length;
  return { points: tr.frames.subarray(s * per, (s + 1) * per), step: s };
}

function countOutside(points: Float32Array, extent: number): number {
  let n = 0;
  for (let i = 0; i + 1 < points.length; i += 2) if (!(Math.abs(points[i]) <= extent && Math.abs(points[i + 1]) <= extent)) n++;
  return n;
}

function RecipeCard({ r, real, extent }: { r: LabRecipeView; real: Float32Array | null; extent: number }) {
  const step = useApp((s) => s.lab.chainStep[r.id]);
  const actions = useApp((s) => s.actions);
  const m = r.metrics;
  const shown = useMemo(() => shownPoints(r, step), [r, step]);
  const outside = useMemo(() => (shown.points ? countOutside(shown.points, extent) : 0), [shown, extent]);
  const T = r.trajectory?.T ?? null;
  const k = shown.step === null || T === null ? null : T - shown.step;
  return (
    <figure className="lab-plot" data-testid={`lab-card-${r.id}`} data-recipe={r.id} data-reports={r.reports} data-iteration={r.iteration}>
      <figcaption>
        <span className="swatch" style={{ background: RECIPE_COLOURS[r.id] }} aria-hidden="true" />
        <strong>{r.label}</strong>
        <span className="muted small" data-testid={`lab-iteration-${r.id}`} data-value={r.iteration}>
          {' '}
          · iteration {r.iteration}
        </span>
      </figcaption>
      <ScatterPlot
        testId={`lab-plot-${r.id}`}
        label={`${r.label}: generated points (colour) over the real data (grey) at iteration ${r.iteration}${k !== null ? `, chain step ${xSub(k)}` : ''}`}
        real={real}
        points={shown.points}
        extent={extent}
        colour={RECIPE_COLOURS[r.id]}
        data={{ 'data-iteration': String(r.iteration), 'data-step': shown.step === null ? '' : String(shown.step) }}
      />
      {T !== null && shown.step !== null && (
        <label className="lab-chain">
          <span>
            Denoising chain: <strong data-testid={`lab-chain-label-${r.id}`}>{xSub(k!)}</strong>
            <span className="muted small"> ({k === T ? 'noise' : k === 0 ? 'sample' : `after ${T - k!} of ${T} steps`})</span>
          </span>
          {outside > 0 && (
            <span className="muted small" data-testid={`lab-outside-${r.id}`} data-value={outside}>
              {outside} of {shown.points!.length / 2} points lie outside the frame
            </span>
          )}
          <input
            type="range"
            data-testid={`lab-chain-${r.id}`}
            aria-label={`${r.label}: step through the chain x_T to x_0`}
            min={0}
            max={T}
            step={1}
            value={shown.step}
            onChange={(e) => actions.setChainStep(r.id, e.target.valueAsNumber === T ? null : e.target.valueAsNumber)}
          />
        </label>
      )}
      {r.diverged && (
        <p className="error" role="alert" data-testid={`lab-diverged-${r.id}`} data-iteration={r.diverged.iteration}>
          {r.diverged.message}
        </p>
      )}
      <dl className="facts compact lab-metrics">
        {m && m.numModes !== null && (
          <>
            <dt>Modes</dt>
            <dd data-testid={`lab-modes-${r.id}`} data-value={attr(m.modesCovered)} data-of={attr(m.numModes)}>
              {m.modesCovered} / {m.numModes}
            </dd>
            <dt title="share of samples within 3 std of their nearest mode">High quality</dt>
            <dd data-testid={`lab-hq-${r.id}`} data-value={attr(m.highQualityShare)}>
              {pct(m.highQualityShare)}
            </dd>
            <dt title="KL(mode histogram of the high-quality samples ‖ uniform), nats">Reverse KL</dt>
            <dd data-testid={`lab-kl-${r.id}`} data-value={attr(m.reverseKl)}>
              {fmt(m.reverseKl, 3)}
            </dd>
          </>
        )}
        {m && (
          <>
            <dt title="k-NN precision and recall (k = 3) against as many real points">Precision · recall</dt>
            <dd data-testid={`lab-pr-${r.id}`} data-precision={attr(m.precision)} data-recall={attr(m.recall)}>
              {pct(m.precision)} · {pct(m.recall)}
            </dd>
          </>
        )}
        {r.stats && (
          <>
            <dt title="mean discriminator output on real / generated batches since the previous report (sigmoid, logit)">D(real) · D(fake)</dt>
            <dd data-testid={`lab-d-${r.id}`} data-real={attr(r.stats.pReal)} data-fake={attr(r.stats.pFake)} data-real-logit={attr(r.stats.dReal)} data-fake-logit={attr(r.stats.dFake)}>
              {fmt(r.stats.pReal, 2)} · {fmt(r.stats.pFake, 2)}
            </dd>
          </>
        )}
        {r.diffusion && (
          <>
            <dt title="adaptive number of diffusion steps the discriminator sees; r_d = E[sign D(real)]">T (adaptive)</dt>
            <dd data-testid={`lab-t-${r.id}`} data-value={r.diffusion.T} data-p={r.diffusion.p} data-rd={attr(r.diffusion.rd)}>
              {r.diffusion.T} · r<sub>d</sub> {fmt(r.diffusion.rd, 2)}
            </dd>
          </>
        )}
        <dt>Parameters</dt>
        <dd>
          G {r.generatorParams.toLocaleString()} · D {r.discriminatorParams.toLocaleString()}
        </dd>
      </dl>
    </figure>
  );
}

export function ToyLabPanel() {
  const lab = useApp(
    useShallow((s) => ({
      status: s.lab.status,
      error: s.lab.error,
      run: s.lab.run,
      results: s.lab.results,
      trained: s.lab.trained,
      elapsedMs: s.lab.elapsedMs,
      memory: s.lab.memory,
      recipes: s.lab.recipes,
      iterations: s.lab.settings.iterations,
    })),
  );
  const busy = useApp(isLabBusy);
  const training = useApp(isTraining);
  const engineReady = useApp((s) => s.engine.status === 'ready');
  const actions = useApp((s) => s.actions);
  const budget = lab.run?.iterations ?? lab.iterations;
  const done = labIteration(lab);
  const left = busy ? labSecondsLeft(lab, budget) : NaN;
  const hasDiffusionGan = lab.results.some((r) => r.id === 'diffusion-gan');
  const real = lab.run?.real ?? null;
  const extent = lab.run?.extent ?? 5;
  return (
    <section className="card lab" aria-labelledby="lab-heading">
      <div className="card-head">
        <h2 id="lab-heading">Mode coverage (2-D toy data)</h2>
        <StatusPill testId="lab-status" state={lab.status} />
      </div>
      <p className="muted">
        The trilemma in miniature: a plain GAN tends to drop modes, Diffusion-GAN shows its discriminator noisy points with an adaptive T, and
        DD-GAN replaces one generator call by T denoising steps. All recipes train here, side by side, with the same number of iterations; each
        plot shows its samples (colour) over the real data (grey), scored every few iterations as in the 25-Gaussians benchmark (modes within
        3 std, share of such samples, reverse KL of the mode histogram).
      </p>
      <LabSettings busy={busy} />
      <div className="controls lab-controls">
        <button type="button" className="primary" data-testid="lab-start" disabled={busy || training || !engineReady || lab.recipes.length === 0} onClick={() => void actions.startLab()}>
          Start
        </button>
        <button type="button" className="secondary" data-testid="lab-pause" disabled={lab.status !== 'running'} onClick={() => void actions.pauseLab()}>
          Pause
        </button>
        <button type="button" className="secondary" data-testid="lab-resume" disabled={lab.status !== 'paused'} onClick={() => void actions.resumeLab()}>
          Resume
        </button>
        <button type="button" className="secondary" data-testid="lab-stop" disabled={!busy || lab.status === 'starting'} onClick={() => void actions.stopLab()}>
          Stop
        </button>
      </div>
      {!engineReady && <p className="muted">Waiting for the engine to start…</p>}
      {training && !busy && <p className="muted" data-testid="lab-blocked">A fine-tune run is using the engine; the lab can start when it ends.</p>}
      {lab.status === 'starting' && <p className="muted">Waiting for the engine (a model load or warm-up may be ahead in its queue)…</p>}
      {lab.error && <ErrorBox testId="lab-error" error={lab.error} />}
      {lab.results.length > 0 && (
        <>
          <Progress
            testId="lab-progress"
            label="Iterations (each recipe)"
            value={done}
            max={budget}
            detail={[
              `${done} / ${budget}`,
              lab.elapsedMs > 0 ? fmtDuration(lab.elapsedMs / 1000) : null,
              Number.isFinite(left) && left > 0 ? `about ${fmtDuration(left)} left` : null,
              lab.memory ? `worker ${fmtBytes(lab.memory.numBytes)} in ${lab.memory.numTensors} tensors` : null,
            ]
              .filter((x) => x !== null)
              .join(' · ')}
          />
          <div className="lab-grid" data-testid="lab-grid">
            {lab.results.map((r) => (
              <RecipeCard key={r.id} r={r} real={real} extent={extent} />
            ))}
          </div>
        </>
      )}
      {hasDiffusionGan && (
        <div className="lab-t">
          <h3>Diffusion-GAN: adaptive T over training</h3>
          <LabTChart />
        </div>
      )}
    </section>
  );
}
