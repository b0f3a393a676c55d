/**
 * One row of the compare view: its live grid (the latest preview, then the final samples),
 * step / NFE, its own wall time, images per second, the quality metrics stored with its
 * checkpoint (or "not evaluated"), and what the judge classifier says about the batch.
 * Numbers that tests read sit in `data-*` attributes.
 */
import { QUALITY_METRICS, rowMetrics, type QualityMetric } from '../store/compareModels';
import type { CompareRowView } from '../store/types';
import { StatusPill, fmtBytes, fmtMs, xSub } from './common';
import { FrameCanvas } from './FrameCanvas';

const METRIC_LABELS: Record<QualityMetric, { label: string; title: string; digits: number }> = {
  frechetDistance: { label: 'Fréchet distance', title: 'in the judge classifier’s features; lower is better', digits: 2 },
  precision: { label: 'Precision', title: 'share of samples that lie on the real data’s manifold (quality)', digits: 3 },
  recall: { label: 'Recall', title: 'share of real data covered by the samples (diversity)', digits: 3 },
  classesPresent: { label: 'Classes present', title: 'digits that are the top class of at least one sample', digits: 0 },
  classKlToUniform: { label: 'Class KL', title: 'KL(class histogram ‖ uniform) in nats; 0 = every digit equally often', digits: 3 },
};

const fmtRate = (v: number | null): string => (v === null || !Number.isFinite(v) ? '–' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

/** The stored metrics of the row's checkpoint, or "not evaluated". */
export function StoredMetrics({ row, metrics, testId }: { row: Pick<CompareRowView, 'sampler'>; metrics: Readonly<Record<string, number>> | undefined; testId: string }) {
  const m = rowMetrics(metrics, row.sampler);
  if (!m) {
    return (
      <p className="muted small" data-testid={testId} data-evaluated="false">
        Quality: not evaluated (<code>npm run eval</code> stores it in model.json)
      </p>
    );
  }
  return (
    <dl className="facts compact compare-metrics" data-testid={testId} data-evaluated="true" data-source={m.source}>
      {QUALITY_METRICS.filter((k) => m.values[k] !== undefined).map((k) => (
        <div key={k} className="metric" title={METRIC_LABELS[k].title}>
          <dt>{METRIC_LABELS[k].label}</dt>
          <dd data-testid={`${testId}-${k}`} data-value={String(m.values[k])}>
            {m.values[k]!.toFixed(METRIC_LABELS[k].digits)}
          </dd>
        </div>
      ))}
      {m.samplerUnstated && <p className="muted small">stored without naming the sampler it was measured with</p>}
    </dl>
  );
}

/** `metrics`: the checkpoint's stored metrics (undefined: none stored; null: not shown, e.g. for a guided batch). */
export function CompareRow({ row, metrics, testPrefix = 'compare' }: { row: CompareRowView; metrics: Readonly<Record<string, number>> | undefined | null; testPrefix?: string }) {
  const id = `${testPrefix}-row-${row.id}`;
  const live = row.status === 'running' || row.status === 'loading';
  const what = row.final ? 'samples x₀' : row.frame ? `after step ${row.frameStep} of ${row.steps}` : '';
  return (
    <figure
      className={`compare-row compare-row-${row.status}`}
      data-testid={id}
      data-status={row.status}
      data-step={row.step}
      data-steps={row.steps}
      data-elapsed-ms={row.elapsedMs}
      data-ips={row.imagesPerSecond ?? ''}
      data-model={row.model}
    >
      <figcaption>
        <strong>{row.label}</strong>
        {row.model && <span className="muted small"> · {row.model}</span>}
        {row.guided && <span className="muted small"> · guided</span>}
        <StatusPill testId={`${id}-status`} state={row.status} />
      </figcaption>
      {row.frame && row.width > 0 ? (
        <FrameCanvas
          frame={row.frame}
          batch={row.batch}
          width={row.width}
          height={row.height}
          testId={`${id}-canvas`}
          label={`${row.label}: ${what}`}
          className="compare-grid"
        />
      ) : (
        <div className="frame placeholder compare-grid" data-testid={`${id}-placeholder`}>
          {row.status === 'missing' ? 'no model' : row.status === 'loading' && row.download ? `downloading ${fmtBytes(row.download.loadedBytes)}` : live ? 'warming up…' : '—'}
        </div>
      )}
      {row.frame && (
        <p className="muted small compare-frame-note" data-testid={`${id}-frame`} data-step={row.frameStep} data-final={String(row.final)}>
          {row.final ? 'final samples' : `preview after step ${row.frameStep}`}
        </p>
      )}
      {row.error && (
        <p className={row.status === 'missing' ? 'warning small' : 'error small'} role={row.status === 'missing' ? undefined : 'alert'} data-testid={`${id}-error`} data-code={row.error.code}>
          {row.error.message}
        </p>
      )}
      <dl className="facts compact compare-facts">
        <dt>Step / NFE</dt>
        <dd data-testid={`${id}-nfe`} data-value={row.step}>
          {row.steps > 0 ? `${row.step} / ${row.steps}` : '–'}
          {row.t !== null && live && <span className="muted small"> (at {row.sampler === 'ddgan' ? xSub(row.t) : `t = ${row.t}`})</span>}
        </dd>
        <dt>Wall time</dt>
        <dd data-testid={`${id}-time`} data-value={row.elapsedMs}>
          {row.steps > 0 ? fmtMs(row.elapsedMs) : '–'}
          {row.warmupMs !== null && row.warmupMs >= 0.5 && <span className="muted small" title="one untimed forward pass before the run (kernel set-up, shader compilation)"> + {fmtMs(row.warmupMs)} warm-up</span>}
        </dd>
        <dt>Images/s</dt>
        <dd data-testid={`${id}-ips`} data-value={row.imagesPerSecond ?? ''}>
          {fmtRate(row.imagesPerSecond)}
          {row.imagesPerSecond !== null && !row.final && <span className="muted small"> (projected)</span>}
        </dd>
        {row.judge && (
          <>
            <dt title={`what the judge classifier ${row.judge.classifier} sees in this batch`}>Judge</dt>
            <dd data-testid={`${id}-judge`} data-classes={row.judge.classes} data-diversity={row.judge.diversity ?? ''} data-accuracy={row.judge.accuracy ?? ''}>
              digits {row.judge.predicted.join(' ')} · {row.judge.classes} distinct
              {row.judge.diversity !== null && ` · spread ${row.judge.diversity.toFixed(2)}`}
            </dd>
          </>
        )}
      </dl>
      {metrics !== null && <StoredMetrics row={row} metrics={metrics} testId={`${id}-metrics`} />}
    </figure>
  );
}
