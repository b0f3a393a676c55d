/**
 * One row of the compare view: its live grid (the latest preview, then the final samples),
 * step / NFE, its own wall time, images per second, the quality metrics stored with its
 * checkpoint (or "not evaluated"), and what the judge classifier says about the batch.
 * Numbers that tests read sit in `data-*` attributes.
 */
import { useEffect, useRef } from 'react';
import { QUALITY_METRICS, rowMetrics, rowProgressText } from '../store/compareModels';
import type { CompareRowView } from '../store/types';
import { StatusPill, fmtBytes, fmtMs, xSub } from './common';
import { FrameCanvas } from './FrameCanvas';
import { extractTile, gridDims } from './grid';
import { METRIC_INFO } from './metricLabels';

const fmtRate = (v: number | null): string => (v === null || !Number.isFinite(v) ? '–' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

/** The stored metrics of the row's checkpoint for its sampler, or that none were measured yet. */
export function StoredMetrics({ row, metrics, testId }: { row: Pick<CompareRowView, 'metricKeys' | 'label'>; metrics: Readonly<Record<string, number>> | undefined; testId: string }) {
  const m = rowMetrics(metrics, row.metricKeys);
  if (!m) {
    return (
      <p className="muted small" data-testid={testId} data-evaluated="false">
        Quality: not measured yet for {row.label}.
      </p>
    );
  }
  return (
    <dl className="facts compact compare-metrics" data-testid={testId} data-evaluated="true" data-source={m.source}>
      {QUALITY_METRICS.filter((k) => m.values[k] !== undefined).map((k) => (
        <div key={k} className="metric" title={METRIC_INFO[k].explain}>
          <dt>{METRIC_INFO[k].label}</dt>
          <dd data-testid={`${testId}-${k}`} data-value={String(m.values[k])}>
            {METRIC_INFO[k].format(m.values[k]!)}
          </dd>
        </div>
      ))}
      {m.samplerUnstated && <p className="muted small">stored without naming the sampler it was measured with</p>}
    </dl>
  );
}

/** One sample of a row's frame on its own canvas (native size; CSS scales it up). */
function TileCanvas({ rgba, batch, width, height, index, label }: { rgba: Uint8ClampedArray; batch: number; width: number; height: number; index: number; label: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const px = extractTile(rgba, batch, width, height, index);
    ref.current?.getContext('2d')?.putImageData(new ImageData(px.data, px.width, px.height), 0, 0);
  }, [rgba, batch, width, height, index]);
  return <canvas ref={ref} width={width} height={height} role="img" aria-label={label} />;
}

/**
 * The final samples one by one, each with the judge's verdict under it: the class it reads
 * and how sure it is. A verdict other than the row's target is marked.
 */
function JudgedSamples({ row, testId }: { row: CompareRowView; testId: string }) {
  const judge = row.judge!;
  const { cols } = gridDims(row.batch);
  return (
    <ol className="judged-samples" data-testid={testId} style={{ gridTemplateColumns: `repeat(${cols}, minmax(0, 1fr))` }} aria-label={`samples with what the judge classifier ${judge.classifier} reads in each`}>
      {judge.predicted.map((c, i) => {
        const p = judge.confidences[i];
        const off = row.target !== null && c !== row.target;
        const says = `the judge reads a ${c}${p === undefined ? '' : ` with probability ${p.toFixed(2)}`}`;
        return (
          <li key={i} className={off ? 'off' : ''} data-class={c} data-confidence={p ?? ''} title={`sample ${i + 1}: ${says}`}>
            <TileCanvas rgba={row.frame!.rgba} batch={row.batch} width={row.width} height={row.height} index={i} label={`sample ${i + 1}`} />
            <span className="verdict">
              {c}
              {p !== undefined && <span className="muted"> · {(100 * p).toFixed(0)} %</span>}
            </span>
          </li>
        );
      })}
    </ol>
  );
}

/**
 * `metrics`: the checkpoint's stored metrics (undefined: none stored; null: not shown, e.g.
 * for a guided batch). `verdicts`: once done, the samples one by one with the judge's class
 * and confidence under each.
 */
export function CompareRow({ row, metrics, testPrefix = 'compare', verdicts = false }: { row: CompareRowView; metrics: Readonly<Record<string, number>> | undefined | null; testPrefix?: string; verdicts?: boolean }) {
  const id = `${testPrefix}-row-${row.id}`;
  const live = row.status === 'running' || row.status === 'loading';
  const progress = rowProgressText(row);
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
        <span className="compare-row-title">
          <strong>{row.label}</strong>
          {row.guided && <span className="muted small"> · guided</span>}
          <StatusPill testId={`${id}-status`} state={row.status} />
        </span>
        {row.model && (
          <span className="compare-row-model muted small" data-testid={`${id}-model`}>
            {row.model}
          </span>
        )}
      </figcaption>
      {verdicts && row.final && row.frame && row.judge && row.judge.predicted.length === row.batch ? (
        <JudgedSamples row={row} testId={`${id}-verdicts`} />
      ) : row.frame && row.width > 0 ? (
        <FrameCanvas
          frame={row.frame}
          batch={row.batch}
          width={row.width}
          height={row.height}
          testId={`${id}-canvas`}
          label={`${row.label}: ${progress.picture}`}
          className="compare-grid"
        />
      ) : (
        <div className="frame placeholder compare-grid" data-testid={`${id}-placeholder`}>
          {row.status === 'missing' ? 'no model' : row.status === 'loading' && row.download ? `downloading ${fmtBytes(row.download.loadedBytes)}` : live ? 'warming up…' : '—'}
        </div>
      )}
      {row.frame && (
        <p className="muted small compare-frame-note" data-testid={`${id}-frame`} data-step={row.frameStep} data-final={String(row.final)}>
          {progress.picture}
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
          {progress.counter}
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
