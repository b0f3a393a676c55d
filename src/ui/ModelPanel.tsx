/** Model picker: the build's catalog, download progress in bytes, warm-up, errors with retry. */
import { useId } from 'react';
import { ErrorBox, Fact, Progress, StatusPill, fmtBytes, fmtCount, fmtDuration, fmtMs } from './common';
import { useApp } from './storeContext';
import { describeLimit, fmtSize } from '../worker/batchLimit';
import type { BatchLimit } from '../worker/protocol';

export function ModelPanel() {
  const m = useApp((s) => s.models);
  const engineReady = useApp((s) => s.engine.status === 'ready');
  const actions = useApp((s) => s.actions);
  const selectId = useId();
  const entry = m.catalog.find((e) => e.name === m.selected) ?? null;
  const busy = m.status === 'downloading' || m.status === 'warming';
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
          <select id={selectId} data-testid="model-select" value={m.selected ?? ''} disabled={busy || !engineReady} onChange={(e) => void actions.selectModel(e.target.value)}>
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
          disabled={busy || !engineReady}
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
            {Object.entries(entry.metrics)
              .slice(0, 6)
              .map(([k, v]) => (
                <Fact key={k} label={k} testId={`metric-${k}`} value={String(v)}>
                  {Number.isInteger(v) ? v : v.toPrecision(4)}
                </Fact>
              ))}
          </dl>
        </>
      )}

      {(m.status === 'downloading' || m.status === 'warming' || m.status === 'ready') && (
        <div className="progress-stack">
          <Progress testId="load-progress" label="Download" value={m.loadedBytes} max={m.totalBytes} detail={`${fmtBytes(m.loadedBytes)} / ${fmtBytes(m.totalBytes)}`} />
          {(m.status === 'warming' || m.status === 'ready') && (
            <Progress
              testId="warmup-progress"
              label={m.warmup?.phase === 'compile' ? 'Warm-up: compiling shaders' : 'Warm-up: first run'}
              value={m.status === 'ready' ? 1 : (m.warmup?.done ?? 0)}
              max={m.status === 'ready' ? 1 : (m.warmup?.total ?? 1)}
              detail={m.status === 'ready' ? 'done' : m.warmup ? `${m.warmup.done} / ${m.warmup.total}${m.warmup.phase === 'compile' ? ' shaders' : ' steps'}` : '…'}
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
