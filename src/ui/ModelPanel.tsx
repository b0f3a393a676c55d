/** Model picker: the build's catalog, download progress in bytes, warm-up, errors with retry. */
import { Fragment, useId } from 'react';
import { ErrorBox, Fact, Progress, StatusPill, fmtBytes, fmtCount, fmtDuration, fmtMs, useElapsedSeconds } from './common';
import { useApp } from './storeContext';
import { isTraining } from '../store/store';
import { describeLimit, fmtSize } from '../worker/batchLimit';
import type { BatchLimit, WarmupProgress } from '../worker/protocol';
import { METRIC_INFO, METRIC_KEYS } from './metricLabels';

/** The model list's entry for an imported model file (never a catalog name: those have no spaces or parentheses). */
const IMPORTED = '(imported file)';

export function ModelPanel() {
  const m = useApp((s) => s.models);
  const engineReady = useApp((s) => s.engine.status === 'ready');
  const actions = useApp((s) => s.actions);
  // A fine-tune run holds the worker: a model file would end it (the store refuses one too).
  const training = useApp(isTraining);
  const selectId = useId();
  const entry = m.catalog.find((e) => e.name === m.selected) ?? null;
  const busy = m.status === 'downloading' || m.status === 'warming';
  const warmingFor = useElapsedSeconds(m.status === 'warming');
  const r = m.result;

  return (
    <section className="card" aria-labelledby="model-heading">
      <div className="card-head">
        <h2 id="model-heading">Model</h2>
        <StatusPill testId="model-status" state={m.status} />
      </div>

      {m.catalogStatus === 'loading' && <p className="muted">Reading the model list…</p>}
      {m.catalogError && (
        <div className="error" role="alert" data-testid="catalog-error">
          <p>{m.catalogError}</p>
          <button type="button" className="secondary" onClick={() => void actions.loadCatalog()}>
            Retry
          </button>
        </div>
      )}

      {m.catalog.length > 0 && (
        <div className="field">
          <label htmlFor={selectId}>Checkpoint</label>
          <select
            id={selectId}
            data-testid="model-select"
            value={m.imported ? IMPORTED : (m.selected ?? '')}
            disabled={busy || !engineReady}
            onChange={(e) => {
              if (e.target.value !== IMPORTED) void actions.selectModel(e.target.value);
            }}
          >
            {/* An imported model is what is in use: the list says so instead of naming the catalog model. */}
            {m.imported && (
              <option value={IMPORTED} disabled>
                {m.imported} (imported file)
              </option>
            )}
            {m.catalog.map((e) => (
              <option key={e.name} value={e.name}>
                {e.name} (T = {e.T}, {e.imageSize}×{e.imageSize}, {fmtBytes(e.weightBytes)})
              </option>
            ))}
          </select>
        </div>
      )}

      <label className="field import-model">
        <span>Import a model file</span>
        <input
          type="file"
          accept=".json,application/json"
          data-testid="model-import"
          disabled={busy || !engineReady || training}
          title={training ? 'A fine-tune run is training: stop it (or let it finish) to import a model file' : undefined}
          onChange={(e) => {
            const f = e.target.files?.[0];
            e.target.value = '';
            if (f) void actions.importModelFile(f);
          }}
        />
      </label>
      {m.imported && (
        <p className="model-description" data-testid="model-imported" data-name={m.imported}>
          Imported from <strong>{m.imported}</strong> (in place of the checkpoint above).
        </p>
      )}

      {entry && !m.imported && (
        <>
          <p className="model-description">{entry.description}</p>
          <dl className="facts compact">
            <Fact label="Steps" testId="model-T" value={String(entry.T)}>
              T = {entry.T}
            </Fact>
            <Fact label="Images" testId="model-size" value={`${entry.imageSize}x${entry.imageSize}x${entry.channels}`}>
              {entry.imageSize}×{entry.imageSize}, {entry.channels === 1 ? 'grey' : 'RGB'}
            </Fact>
            <Fact label="Generator" testId="model-params" value={String(entry.paramCount)}>
              {fmtCount(entry.paramCount)}params
            </Fact>
            <Fact label="Download" testId="model-download-size" value={String(entry.weightBytes)}>
              {fmtBytes(entry.weightBytes)} of weights, once: this browser keeps them for later visits
            </Fact>
            {entry.iterations !== null && (
              <Fact label="Trained" testId="model-training" value={String(entry.iterations)}>
                {entry.iterations} iterations{entry.wallSeconds !== null && ` · ${fmtDuration(entry.wallSeconds)}`}
                {entry.dataset && ` · ${entry.dataset}`}
              </Fact>
            )}
          </dl>
          <ModelMetrics metrics={entry.metrics} />
        </>
      )}

      {(m.status === 'downloading' || m.status === 'warming' || m.status === 'ready') && (
        <div className="progress-stack">
          <Progress testId="load-progress" label="Download" value={m.loadedBytes} max={m.totalBytes} detail={`${fmtBytes(m.loadedBytes)} / ${fmtBytes(m.totalBytes)}`} />
          {(m.status === 'warming' || m.status === 'ready') && (
            <Progress
              testId="warmup-progress"
              label={warmupLabel(m.warmup)}
              value={m.status === 'ready' ? 1 : (m.warmup?.done ?? 0)}
              max={m.status === 'ready' ? 1 : (m.warmup?.total ?? 1)}
              detail={m.status === 'ready' ? 'done' : `${warmupDetail(m.warmup)}${warmingFor !== null && warmingFor >= 2 ? ` · ${warmingFor} s` : ''}`}
              phase={m.status === 'ready' ? 'done' : (m.warmup?.phase ?? '')}
            />
          )}
        </div>
      )}

      {r && (
        <dl
          className="facts compact"
          data-testid="model-timings"
          data-download-ms={r.downloadMs}
          data-warmup-ms={r.warmup.ms}
          data-compile-ms={r.warmup.compileMs}
          data-first-run-ms={r.warmup.firstRunMs}
          data-shaders={r.warmup.shaders}
          data-backend={r.backend}
        >
          <Fact label="Download" testId="model-download-ms" value={String(r.downloadMs)}>
            {fmtMs(r.downloadMs)}
          </Fact>
          <Fact label="Warm-up" testId="model-warmup-ms" value={String(r.warmup.ms)}>
            {fmtMs(r.warmup.ms)}
            {r.warmup.shaders > 0 && <span className="muted"> ({r.warmup.shaders} shaders in {fmtMs(r.warmup.compileMs)})</span>}
          </Fact>
          {r.batchLimit && <BatchLimitFact limit={r.batchLimit} />}
        </dl>
      )}

      {m.error && (
        <ErrorBox testId="model-error" error={m.error}>
          <button type="button" className="secondary" data-testid="model-retry" onClick={() => void actions.loadModel()}>
            Retry
          </button>
        </ErrorBox>
      )}
      {m.auxiliary.length > 0 && (
        <p className="muted small" data-testid="models-auxiliary">
          Used by the Compare view: {m.auxiliary.map((a) => `${a.name} (${a.role === 'ddpm' ? 'DDPM' : a.role === 'guide' ? 'guidance classifier' : 'judge classifier'})`).join(', ')}
        </p>
      )}
      {m.skipped.length > 0 && (
        <p className="muted small" data-testid="models-skipped">
          Not listed (not generators): {m.skipped.map((s) => s.name).join(', ')}
        </p>
      )}
    </section>
  );
}

/** What the warm-up is doing, for its progress bar. */
export function warmupLabel(w: WarmupProgress | null): string {
  if (w?.phase === 'measure') return 'Warm-up: sizing the largest batch';
  if (w?.phase === 'compile') return 'Warm-up: compiling shaders';
  return 'Warm-up: first run';
}

/** How far it is: shaders or steps done of all, or '…' while the count is not known yet. */
export function warmupDetail(w: WarmupProgress | null): string {
  if (!w || w.total === 0) return w?.phase === 'measure' ? 'tracing a step…' : '…';
  return `${w.done} / ${w.total}${w.phase === 'run' ? ' steps' : ' shaders'}`;
}

/**
 * The quality measured for this checkpoint (model.json `metrics`), under the same names and
 * explanations as in the Compare view; raw field names are never shown.
 */
function ModelMetrics({ metrics }: { metrics: Readonly<Record<string, number>> }) {
  const keys = METRIC_KEYS.filter((k) => Number.isFinite(metrics[k]));
  if (keys.length === 0) {
    return (
      <p className="muted small" data-testid="model-metrics" data-evaluated="false">
        Quality: not measured for this checkpoint.
      </p>
    );
  }
  const n = metrics['evaluation.n'];
  return (
    <div className="model-metrics" data-testid="model-metrics" data-evaluated="true">
      <p className="small model-metrics-head">
        Measured quality{Number.isFinite(n) && <span className="muted"> (on {n.toLocaleString('en-US')} samples)</span>}
      </p>
      <dl className="facts compact metric-facts">
        {keys.map((k) => (
          <Fragment key={k}>
            <dt>{METRIC_INFO[k].label}</dt>
            <dd data-testid={`metric-${k}`} data-value={String(metrics[k])}>
              {METRIC_INFO[k].format(metrics[k])}
            </dd>
            <dd className="metric-explain muted">{METRIC_INFO[k].explain}</dd>
          </Fragment>
        ))}
      </dl>
    </div>
  );
}

/** The largest batch the backend can hold for this model, with the measurement behind it. */
function BatchLimitFact({ limit }: { limit: BatchLimit }) {
  const max = limit.maxBatch;
  const data = {
    'data-bytes-per-example': String(limit.bytesPerExample),
    'data-safety': String(limit.safety),
    'data-kernel': limit.kernel,
    'data-limit-name': limit.limit?.name ?? '',
    'data-limit-bytes': String(limit.limit?.bytes ?? ''),
  };
  return (
    <Fact label="Largest batch" testId="model-max-batch" value={max === null ? '' : String(max)} data={data}>
      {max === null ? 'no limit' : max.toLocaleString('en-US')}
      <span className="muted">
        {' '}
        · largest tensor {fmtSize(limit.bytesPerExample)} per image{limit.limit ? ` · limit: ${describeLimit(limit.limit)}` : ''}
      </span>
    </Fact>
  );
}
