/**
 * The two smaller experiments of the Compare view:
 *
 *  - T ablation: the DD-GAN models of one family (same data, same image size) for
 *    T = 1, 2, 4, 8 with their stored metrics, saying which T have no model yet, and a
 *    button that draws a small grid from each;
 *  - class control: a digit and a guidance scale s steer a batch (classifier guidance with
 *    a noise-aware classifier); the judge classifier's accuracy on the batch and the
 *    batch's spread in its features are kept per run, so the table shows how they move
 *    as s changes.
 */
import { useId } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { canCompare, isCompareBusy } from '../store/store';
import { infoOf } from '../core/diffusion/samplers/specs';
import { ABLATION_T, ablationTable, compareChoices, datasetLabel, guidableSamplers, rowMetricKeys, rowMetrics, samplerName, samplerRowLabel, type QualityMetric } from '../store/compareModels';
import { COMPARE_LIMITS } from '../worker/protocol';
import { ErrorBox, NumberField, StatusPill } from './common';
import { CompareRow } from './CompareRow';
import { METRIC_INFO, formatMetric } from './metricLabels';
import { useApp } from './storeContext';

/** The ablation table's metric columns. */
const ABLATION_METRICS: readonly QualityMetric[] = ['frechetDistance', 'precision', 'recall', 'confidentShare', 'classesPresent'];
const pct = (v: number | null): string => (v === null || !Number.isFinite(v) ? '–' : `${(100 * v).toFixed(0)} %`);

export function AblationSection() {
  const { catalog, auxiliary } = useApp(useShallow((s) => ({ catalog: s.models.catalog, auxiliary: s.models.auxiliary })));
  const settings = useApp((s) => s.compare.settings);
  const run = useApp((s) => s.compare.ablation);
  const ready = useApp(canCompare);
  const busy = useApp(isCompareBusy);
  const actions = useApp((s) => s.actions);
  const base = compareChoices(catalog, auxiliary, settings).ddgan;
  const table = ablationTable(catalog, base);
  const Ts = [...new Set([...ABLATION_T, ...table.models.map((m) => m.T)])].sort((a, b) => a - b);

  return (
    <div className="compare-section" data-testid="ablation">
      <div className="card-head">
        <h3>How many steps? DD-GAN with T = 1, 2, 4, 8</h3>
        <StatusPill testId="ablation-status" state={run.status} />
      </div>
      <p className="muted small">
        T = 1 is a plain GAN (one step from noise to image); the paper finds it collapses, while T = 4 keeps both quality and diversity.
        {base && ` Models trained on ${datasetLabel(base.dataset)} at ${base.imageSize}×${base.imageSize}.`}
        {table.matchedIterations !== null && (
          <span data-testid="ablation-matched" data-value={table.matchedIterations}>
            {' '}
            Rows marked “same budget” were all trained for {table.matchedIterations.toLocaleString('en-US')} iterations: they compare T, not training time.
          </span>
        )}
      </p>
      <div className="table-wrap">
        <table className="schedule compare-table" data-testid="ablation-table">
          <thead>
            <tr>
              <th>T</th>
              <th>model</th>
              <th>iterations</th>
              {ABLATION_METRICS.map((k) => (
                <th key={k} title={`${METRIC_INFO[k].label}: ${METRIC_INFO[k].explain}`}>
                  {METRIC_INFO[k].short}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {Ts.flatMap((T) => {
              const models = table.models.filter((m) => m.T === T);
              if (models.length === 0) {
                return [
                  <tr key={`t${T}`} data-testid={`ablation-t-${T}`} data-missing="true">
                    <td>{T}</td>
                    <td colSpan={2 + ABLATION_METRICS.length} className="muted">
                      no T = {T} model ships with the app yet
                    </td>
                  </tr>,
                ];
              }
              return models.map((m) => {
                const v = rowMetrics(m.metrics, rowMetricKeys({ kind: 'ddgan' }, null))?.values;
                const matched = table.matchedIterations !== null && m.iterations === table.matchedIterations;
                return (
                  <tr
                    key={m.name}
                    data-testid={`ablation-t-${T}`}
                    data-missing="false"
                    data-model={m.name}
                    data-evaluated={String(v !== undefined)}
                    data-matched={String(matched)}
                  >
                    <td>{T}</td>
                    <td>{m.name}</td>
                    <td>
                      {m.iterations?.toLocaleString('en-US') ?? '–'}
                      {matched && <span className="muted small"> · same budget</span>}
                    </td>
                    {v ? (
                      ABLATION_METRICS.map((k) => <td key={k}>{formatMetric(k, v[k])}</td>)
                    ) : (
                      <td colSpan={ABLATION_METRICS.length} className="muted">
                        quality not measured yet
                      </td>
                    )}
                  </tr>
                );
              });
            })}
          </tbody>
        </table>
      </div>
      <div className="controls">
        <button type="button" className="secondary" data-testid="ablation-run" disabled={!ready || busy || table.models.length === 0} onClick={() => void actions.runAblation()}>
          Draw {settings.batch} {settings.batch === 1 ? 'sample' : 'samples'} from each
        </button>
        {table.missingT.length > 0 && (
          <span className="muted small" data-testid="ablation-missing" data-value={table.missingT.join(',')}>
            not shipped yet: T = {table.missingT.join(', ')}
          </span>
        )}
      </div>
      {run.error && <ErrorBox testId="ablation-error" error={run.error} />}
      {run.rows.length > 0 && (
        <div className="compare-rows">
          {run.rows.map((r) => (
            <CompareRow key={r.id} row={r} metrics={catalog.find((m) => m.name === r.model)?.metrics} testPrefix="ablation" />
          ))}
        </div>
      )}
    </div>
  );
}

export function ClassControlSection() {
  const { catalog, auxiliary } = useApp(useShallow((s) => ({ catalog: s.models.catalog, auxiliary: s.models.auxiliary })));
  const settings = useApp((s) => s.compare.settings);
  const run = useApp((s) => s.compare.guided);
  const history = useApp((s) => s.compare.guidedHistory);
  const ready = useApp(canCompare);
  const busy = useApp(isCompareBusy);
  const actions = useApp((s) => s.actions);
  const choice = compareChoices(catalog, auxiliary, settings);
  const digitId = useId();
  const scaleId = useId();
  const row = run.rows[0];
  const model = settings.guidedSampler === 'ddgan' ? choice.ddgan : choice.ddpm;
  const refused = settings.scale > 0 && !choice.guide;
  const judgeAccuracy = choice.judge?.metrics.heldOutAccuracy;

  return (
    <div className="compare-section" data-testid="class-control">
      <div className="card-head">
        <h3>Class control: classifier guidance</h3>
        <StatusPill testId="guided-status" state={run.status} />
      </div>
      <p className="muted small">
        A noise-aware classifier p(y | x, σ) pushes each sampling step toward the chosen digit, with strength s. A DD-GAN's last step adds no
        noise to push, so there its input x₁ moves up the classifier's gradient through the generator (extra
        generator passes, counted in NFE); that also steers a T = 1 model. Larger s: the judge recognises the digit more often (precision), but
        the batch looks more alike (diversity falls).
      </p>
      {!choice.guide && (
        <p className="warning small" data-testid="guided-no-guide">
          No guidance classifier for these images ships with the app: only s = 0 (unguided) can be drawn.
        </p>
      )}
      {!choice.judge && (
        <p className="warning small" data-testid="guided-no-judge">
          No judge classifier for these images ships with the app: accuracy and diversity cannot be measured.
        </p>
      )}
      <fieldset className="compare-settings" disabled={busy}>
        <legend>Guided batch</legend>
        <div className="lab-choices">
          <label className="field" htmlFor={digitId}>
            <span>Digit</span>
            <select id={digitId} data-testid="guided-digit" value={settings.digit} onChange={(e) => actions.setCompareSettings({ digit: Number(e.target.value) })}>
              {Array.from({ length: 10 }, (_, d) => (
                <option key={d} value={d}>
                  {d}
                </option>
              ))}
            </select>
          </label>
          <label className="field" htmlFor={scaleId}>
            <span>Scale s</span>
            <input
              id={scaleId}
              type="number"
              data-testid="guided-scale"
              min={0}
              max={COMPARE_LIMITS.scale}
              step={0.5}
              value={settings.scale}
              onChange={(e) => {
                const v = e.target.valueAsNumber;
                if (Number.isFinite(v)) actions.setCompareSettings({ scale: v });
              }}
            />
          </label>
          <fieldset className="segmented" aria-label="Sampler">
            <legend>Sampler</legend>
            {guidableSamplers().map((kind) => {
              const spec = kind === 'ddgan' ? { kind } : settings.baselines.find((b) => b.spec.kind === kind)?.spec;
              return (
                <label key={kind} className={settings.guidedSampler === kind ? 'on' : ''} title={infoOf(kind).about}>
                  <input
                    type="radio"
                    name="guided-sampler"
                    data-testid={`guided-sampler-${infoOf(kind).id}`}
                    disabled={kind !== 'ddgan' && !choice.ddpm}
                    checked={settings.guidedSampler === kind}
                    onChange={() => actions.setCompareSettings({ guidedSampler: kind })}
                  />
                  {spec ? samplerRowLabel(spec, kind === 'ddgan' ? choice.ddgan : choice.ddpm) : samplerName(kind)}
                </label>
              );
            })}
          </fieldset>
          <NumberField label="Batch" testId="guided-batch" value={settings.guidedBatch} min={1} max={COMPARE_LIMITS.batch} onChange={(guidedBatch) => actions.setCompareSettings({ guidedBatch })} />
          <NumberField label="Seed" testId="guided-seed" value={settings.guidedSeed} min={0} max={0xffffffff} onChange={(guidedSeed) => actions.setCompareSettings({ guidedSeed })} />
        </div>
      </fieldset>
      <div className="controls">
        <button type="button" className="primary" data-testid="guided-run" disabled={!ready || busy || !model || refused} onClick={() => void actions.runGuided()}>
          Draw {settings.guidedBatch} guided {settings.guidedBatch === 1 ? 'sample' : 'samples'}
        </button>
        {history.length > 0 && (
          <button type="button" className="secondary small" data-testid="guided-clear" disabled={busy} onClick={() => actions.clearGuidedHistory()}>
            Clear table
          </button>
        )}
      </div>
      {run.error && <ErrorBox testId="guided-error" error={run.error} />}
      {row && (
        <div className="compare-rows">
          <CompareRow row={row} metrics={null} testPrefix="guided" verdicts />
        </div>
      )}
      {row?.judge && (
        <p className="compare-judge" data-testid="guided-judge" data-accuracy={row.judge.accuracy ?? ''} data-diversity={row.judge.diversity ?? ''}>
          The judge reads {pct(row.judge.accuracy)} of the batch as a {row.target ?? settings.digit} (its verdict and confidence are under each sample)
          {row.judge.diversity !== null && `; spread in its features ${row.judge.diversity.toFixed(2)}`}
          {judgeAccuracy !== undefined && <span className="muted small"> (judge: {pct(judgeAccuracy)} right on held-out digits)</span>}
        </p>
      )}
      {history.length > 0 && (
        <div className="table-wrap">
          <table className="schedule compare-table" data-testid="guided-history">
            <caption>Guided batches so far: accuracy and diversity as s changes</caption>
            <thead>
              <tr>
                <th>s</th>
                <th>digit</th>
                <th>sampler</th>
                <th>images</th>
                <th>seed</th>
                <th title="share the judge classifies as the digit">accuracy</th>
                <th title="mean pairwise distance in the judge's features">diversity</th>
                <th title="mean top-class probability">confidence</th>
              </tr>
            </thead>
            <tbody>
              {history.map((p, i) => (
                <tr key={i} data-scale={p.scale} data-accuracy={p.accuracy ?? ''} data-diversity={p.diversity ?? ''}>
                  <td>{p.scale}</td>
                  <td>{p.digit}</td>
                  <td>{samplerName(p.sampler)}</td>
                  <td>{p.batch}</td>
                  <td>{p.seed}</td>
                  <td>{pct(p.accuracy)}</td>
                  <td>{p.diversity === null ? '–' : p.diversity.toFixed(2)}</td>
                  <td>{p.confidence.toFixed(2)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
