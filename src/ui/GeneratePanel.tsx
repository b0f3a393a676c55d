/**
 * Generate, watch, scrub: batch and seed controls, the live canvas with its step counter and
 * per-step times, the slider over x_T … x_0 with the x_k / x̂₀ toggle and a play button, and
 * the re-roll controls. Only reads the store and calls its actions.
 */
import { useEffect, useId } from 'react';
import { canGenerate } from '../store/store';
import { arrivedCount, frameAt, kOfPosition, stepOfPosition, type Trajectory } from '../store/history';
import { BATCH_SIZES, MAX_SEED, isBatchSize, randomSeed } from '../store/settings';
import { batchOverLimit } from '../worker/batchLimit';
import { SlowBackendNotice } from './BackendDialog';
import { Fact, StatusPill, ErrorBox, fmtMs, useElapsedSeconds, xSub } from './common';
import { downloadPng } from './download';
import { FrameCanvas } from './FrameCanvas';
import { composeGrid } from './grid';
import { parseSeed } from './urlState';
import { useApp, useAppStoreApi } from './storeContext';

const PLAY_FRAME_MS = 650;

export function GeneratePanel() {
  const gen = useApp((s) => s.gen);
  const ready = useApp(canGenerate);
  const models = useApp((s) => s.models);
  const batchLimit = models.result?.batchLimit ?? null;
  const engineStatus = useApp((s) => s.engine.status);
  const actions = useApp((s) => s.actions);
  const store = useAppStoreApi();
  const t = gen.trajectory;
  const running = gen.status === 'running';
  const seedId = useId();
  // A warm-up can take a minute on a software GPU: the button shows that time passes.
  const warmingFor = useElapsedSeconds(models.status === 'warming');

  // Playback: one position per tick, stopping at x_0.
  useEffect(() => {
    if (!gen.playing) return;
    const timer = setInterval(() => {
      const g = store.getState().gen;
      if (!g.trajectory || g.position >= g.trajectory.T) store.getState().actions.setPlaying(false);
      else store.getState().actions.stepPosition(1);
    }, PLAY_FRAME_MS);
    return () => clearInterval(timer);
  }, [gen.playing, store]);

  const frame = t ? frameAt(t, gen.position, gen.view) : null;
  const k = t ? kOfPosition(t.T, gen.position) : null;

  return (
    <section className="card generate" aria-labelledby="generate-heading">
      <div className="card-head">
        <h2 id="generate-heading">Generate</h2>
        <StatusPill testId="gen-status" state={gen.status} />
      </div>

      <div className="controls">
        <fieldset className="segmented" aria-label="Batch size">
          <legend>Batch</legend>
          {BATCH_SIZES.map((b) => {
            const tooLarge = batchOverLimit(batchLimit, b);
            return (
              <label key={b} className={`${gen.batch === b ? 'on' : ''}${tooLarge ? ' disabled' : ''}`} title={tooLarge ? `Not on this backend: ${tooLarge}` : undefined}>
                <input
                  type="radio"
                  name="batch"
                  value={b}
                  data-testid={`batch-${b}`}
                  checked={gen.batch === b}
                  disabled={tooLarge !== null}
                  onChange={() => isBatchSize(b) && void actions.setBatch(b)}
                />
                {b}
              </label>
            );
          })}
        </fieldset>

        <div className="field seed">
          <label htmlFor={seedId}>Seed</label>
          <div className="seed-row">
            <input
              id={seedId}
              type="text"
              inputMode="numeric"
              data-testid="seed-input"
              value={gen.seed}
              onChange={(e) => {
                const n = parseSeed(e.target.value);
                if (n !== null && n <= MAX_SEED) actions.setSeed(n);
              }}
            />
            <button type="button" className="secondary" data-testid="seed-dice" title="Pick a new random seed now" onClick={() => actions.setSeed(randomSeed())}>
              Random
            </button>
          </div>
          <label className="check">
            <input type="checkbox" data-testid="seed-random" checked={gen.randomSeed} onChange={(e) => actions.setRandomSeed(e.target.checked)} />
            new seed each time
          </label>
          <span className="muted small seed-note" data-testid="seed-note" data-next={gen.randomSeed && gen.seedUsed ? 'new' : 'this'}>
            {gen.randomSeed && gen.seedUsed ? 'Generate draws a new seed and shows it here' : 'Generate uses this seed'}
          </span>
        </div>

        <label className="check slow">
          <input type="checkbox" data-testid="slow-motion" checked={gen.slowMotion} onChange={(e) => actions.setSlowMotion(e.target.checked)} />
          slow motion
        </label>

        <div className="generate-buttons">
          <button type="button" className="primary big" data-testid="generate-button" disabled={!ready} onClick={() => void actions.generate()}>
            {generateLabel(ready, running, engineStatus, models)}
            {warmingFor !== null && warmingFor >= 2 && <span className="elapsed"> · {warmingFor} s</span>}
          </button>
          {running && (
            <button type="button" className="secondary" data-testid="stop-button" onClick={() => void actions.stop()}>
              Stop
            </button>
          )}
        </div>
      </div>

      {gen.batchNotice && (
        <p className="warning batch-notice" role="status" data-testid="batch-notice">
          {gen.batchNotice}{' '}
          <button type="button" className="secondary" data-testid="batch-notice-dismiss" onClick={() => actions.dismissBatchNotice()}>
            OK
          </button>
        </p>
      )}

      <SlowBackendNotice />

      <div className="stage">
        <div className="stage-canvas">
          {t ? (
            <FrameCanvas
              frame={frame}
              batch={t.batch}
              width={t.width}
              height={t.height}
              testId="main-canvas"
              label={k !== null ? `${gen.view === 'xk' ? xSub(k) : `x̂₀ predicted from ${xSub(k)}`} for ${t.batch} samples` : 'samples'}
              sampleTestId="sample"
              onSelect={(i) => actions.enlarge({ kind: 'main' }, i)}
            />
          ) : (
            <div className="frame placeholder" data-testid="main-placeholder">
              <p>{placeholderText(ready, engineStatus, models.status)}</p>
            </div>
          )}
        </div>
        <StepLog trajectory={t} position={gen.position} />
      </div>

      {t && <Scrubber trajectory={t} />}
      {gen.error && <ErrorBox testId="gen-error" error={gen.error} />}
    </section>
  );
}

function placeholderText(ready: boolean, engineStatus: string, modelStatus: string): string {
  if (ready) return 'Press Generate: the denoising steps appear here as they happen.';
  if (engineStatus === 'error') return 'The engine could not start: see the Engine panel for why.';
  if (modelStatus === 'error') return 'The model could not be loaded: the Model panel says what failed and offers a retry.';
  return 'The model is getting ready…';
}

function generateLabel(ready: boolean, running: boolean, engineStatus: string, m: { status: string; loadedBytes: number; totalBytes: number; warmup: { phase: string; done: number; total: number } | null }): string {
  if (ready) return running ? 'Generate again' : 'Generate';
  if (engineStatus !== 'ready') return engineStatus === 'error' ? 'Engine failed' : 'Starting engine…';
  if (m.status === 'downloading') return `Loading model… ${m.totalBytes > 0 ? Math.floor((100 * m.loadedBytes) / m.totalBytes) : 0}%`;
  if (m.status === 'warming') {
    if (!m.warmup || m.warmup.total === 0) return 'Warming up…';
    return `Warming up… ${m.warmup.phase === 'run' ? 'step' : 'shaders'} ${m.warmup.done}/${m.warmup.total}`;
  }
  if (m.status === 'error') return 'Model failed to load';
  return 'Waiting for a model…';
}

/**
 * The step the slider shows (scrubbing and Play move it), with the x_k it is at; "done" only
 * on the finished x_0. While a run streams and the slider follows it, that is the newest step.
 */
function StepHeading({ trajectory: t, position, status, follow }: { trajectory: Trajectory; position: number; status: string; follow: boolean }) {
  const done = Math.min(arrivedCount(t), t.T);
  const step = stepOfPosition(t.T, position);
  const k = kOfPosition(t.T, position);
  const at = k === 0 ? `${xSub(0)}${status === 'done' ? ', done' : ''}` : `${xSub(k)} → ${xSub(k - 1)}`;
  return (
    <>
      Step <strong data-testid="step-shown">{step}</strong> of {t.T}
      <span className="muted" data-testid="step-at">
        {' '}
        · {at}
      </span>
      {status === 'running' && !follow && (
        <span className="muted">
          {' '}
          ({done} of {t.T} computed)
        </span>
      )}
    </>
  );
}

function StepLog({ trajectory: t, position }: { trajectory: Trajectory | null; position: number }) {
  const done = t ? Math.min(arrivedCount(t), t.T) : 0;
  const gen = useApp((s) => s.gen);
  return (
    <div className="steps">
      <p
        className="step-counter"
        data-testid="step-counter"
        data-steps={done}
        data-step={t ? stepOfPosition(t.T, position) : 0}
        data-position={position}
        data-total={t?.T ?? 0}
        data-count={gen.count}
        aria-live="polite"
      >
        {t ? <StepHeading trajectory={t} position={position} status={gen.status} follow={gen.follow} /> : <span className="muted">No run yet</span>}
      </p>
      {t && (
        <ol className="step-log" data-testid="step-log">
          {t.ms.map((ms, p) => {
            const k = t.T - p;
            const x = t.xs[p];
            const pred = t.preds[p];
            if (!x || ms === null) return null;
            return (
              <li key={p} data-k={k} data-ms={ms} data-xk-hash={x.hash} data-x0-hash={pred?.hash ?? ''} className={p === position ? 'current' : ''}>
                <span>
                  {xSub(k)} → {xSub(k - 1)}
                </span>
                <span className="ms">{fmtMs(ms)}</span>
              </li>
            );
          })}
        </ol>
      )}
      {gen.stats && (
        <dl className="facts compact" data-testid="run-stats" data-total-ms={gen.stats.totalMs} data-step-ms={gen.stats.stepMs.join(',')} data-seed={gen.stats.seed} data-backend={gen.stats.backend} data-batch={gen.stats.batch}>
          <Fact label="Total" testId="run-total" value={String(gen.stats.totalMs)}>
            {fmtMs(gen.stats.totalMs)}
          </Fact>
          <Fact label="Per image" testId="run-per-image" value={String(gen.stats.totalMs / gen.stats.batch)}>
            {fmtMs(gen.stats.totalMs / gen.stats.batch)}
          </Fact>
          <Fact label="Seed · backend" testId="run-seed" value={String(gen.stats.seed)}>
            {gen.stats.seed} · {gen.stats.backend}
          </Fact>
        </dl>
      )}
    </div>
  );
}

function Scrubber({ trajectory: t }: { trajectory: Trajectory }) {
  const gen = useApp((s) => s.gen);
  const reroll = useApp((s) => s.reroll);
  const ready = useApp(canGenerate);
  const actions = useApp((s) => s.actions);
  const sliderId = useId();
  const arrived = arrivedCount(t);
  const k = kOfPosition(t.T, gen.position);
  const rerollK = Math.max(1, k);
  const canReroll = ready && gen.status === 'done' && reroll.status !== 'running';

  return (
    <div className="scrubber">
      <div className="scrub-row">
        <button type="button" className="icon" data-testid="scrub-prev" aria-label="Previous step" disabled={gen.position <= 0} onClick={() => actions.stepPosition(-1)}>
          ◀
        </button>
        <div className="slider">
          <label htmlFor={sliderId} className="sr-only">
            Denoising step
          </label>
          <input
            id={sliderId}
            type="range"
            min={0}
            max={t.T}
            step={1}
            value={gen.position}
            data-testid="scrub-slider"
            aria-valuetext={`${xSub(k)}${gen.view === 'x0' ? ', predicted x̂₀' : ''}`}
            onChange={(e) => actions.setPosition(e.target.valueAsNumber)}
          />
          <div className="ticks" aria-hidden="true">
            {Array.from({ length: t.T + 1 }, (_, p) => (
              <span key={p} className={`${p === gen.position ? 'on' : ''} ${p < arrived ? '' : 'pending'}`}>
                {xSub(t.T - p)}
              </span>
            ))}
          </div>
        </div>
        <button type="button" className="icon" data-testid="scrub-next" aria-label="Next step" disabled={gen.position >= t.T} onClick={() => actions.stepPosition(1)}>
          ▶
        </button>
        <button type="button" className="secondary" data-testid="play-button" aria-pressed={gen.playing} onClick={() => actions.setPlaying(!gen.playing)}>
          {gen.playing ? '❚❚ Pause' : '► Play'}
        </button>
      </div>

      <div className="scrub-row wrap">
        <fieldset className="segmented" aria-label="What to show">
          <legend>Show</legend>
          <label className={gen.view === 'xk' ? 'on' : ''} title="The state of the chain at this step">
            <input type="radio" name="view" data-testid="view-xk" checked={gen.view === 'xk'} onChange={() => actions.setView('xk')} />
            x<sub>k</sub>
          </label>
          <label className={gen.view === 'x0' ? 'on' : ''} title="What the generator predicts the clean image to be, from this step">
            <input type="radio" name="view" data-testid="view-x0" checked={gen.view === 'x0'} onChange={() => actions.setView('x0')} />
            predicted x̂<sub>0</sub>
          </label>
        </fieldset>

        <div className="reroll-controls">
          <button type="button" className="secondary" data-testid="reroll-button" disabled={!canReroll} onClick={() => void actions.reroll(rerollK)}>
            Re-roll from {xSub(rerollK)}
          </button>
          <label className="inline">
            <span>branches</span>
            <select data-testid="branch-count" value={reroll.branchCount} onChange={(e) => actions.setBranchCount(Number(e.target.value))}>
              {[2, 3, 4, 6].map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </label>
        </div>

        <button
          type="button"
          className="secondary"
          data-testid="download-grid"
          disabled={!frameAt(t, gen.position, gen.view)}
          onClick={() => {
            const f = frameAt(t, gen.position, gen.view);
            if (f) void downloadPng(composeGrid(f.rgba, t.batch, t.width, t.height), `ddgan-grid-${gen.stats?.seed ?? gen.seed}-${gen.view}${k}.png`);
          }}
        >
          ⤓ Grid PNG
        </button>
      </div>
      <p className="hint muted">
        ← → scrub · click a sample to enlarge it · re-roll keeps x<sub>T</sub> … x<sub>k</sub> and draws new noise for the rest
      </p>
    </div>
  );
}
