/** Diagnostics (collapsed): the generator self-test on random weights, a kernel health check. */
import { ErrorBox, Fact, NumberField, StatusPill, fmtCount, fmtMs } from './common';
import { useApp } from './storeContext';

export function DiagnosticsPanel() {
  const probe = useApp((s) => s.probe);
  const engineReady = useApp((s) => s.engine.status === 'ready');
  const { setProbeSettings, runProbe } = useApp((s) => s.actions);
  const running = probe.status === 'running';
  const r = probe.result;

  return (
    <section className="card diagnostics" aria-labelledby="probe-heading">
      <details data-testid="diagnostics">
        <summary>
          <h2 id="probe-heading">Diagnostics: generator self-test</h2>
          <StatusPill testId="probe-status" state={probe.status} />
        </summary>
        <p className="muted">
          Builds a generator with random weights and runs one forward pass in the worker: checks the backend's kernels, output range and
          tensor bookkeeping.
        </p>

        <div className="row">
          <NumberField label="Base channels" testId="probe-base-channels" value={probe.settings.baseChannels} min={8} step={8} disabled={running} onChange={(v) => setProbeSettings({ baseChannels: v })} />
          <NumberField label="Batch" testId="probe-batch" value={probe.settings.batch} min={1} max={64} disabled={running} onChange={(v) => setProbeSettings({ batch: v })} />
          <NumberField label="Seed" testId="probe-seed" value={probe.settings.seed} min={0} disabled={running} onChange={(v) => setProbeSettings({ seed: v })} />
        </div>

        <button type="button" className="secondary" data-testid="probe-button" disabled={!engineReady || running} onClick={() => void runProbe()}>
          {running ? 'Running…' : 'Run generator self-test'}
        </button>
        {running && probe.progress && (
          <p className="muted" data-testid="probe-progress">
            Step {probe.progress.index + 1} of {probe.progress.total}: {probe.progress.stage}
          </p>
        )}

        {r && (
          <dl className="facts" data-testid="probe-result">
            <Fact label="Backend" testId="probe-backend" value={r.backend}>
              {r.backend}
            </Fact>
            <Fact label="Output shape" testId="probe-shape" value={JSON.stringify(r.outputShape)}>
              [{r.outputShape.join(' × ')}]
            </Fact>
            <Fact label="Value range" testId="probe-range" value={`${r.min},${r.max}`} data={{ 'data-min': String(r.min), 'data-max': String(r.max), 'data-mean': String(r.mean), 'data-nonfinite': String(r.nonFinite) }}>
              {r.min.toFixed(4)} … {r.max.toFixed(4)} <span className="muted">(mean {r.mean.toFixed(4)}{r.nonFinite > 0 ? `, ${r.nonFinite} non-finite` : ''})</span>
            </Fact>
            <Fact label="Parameters" testId="probe-params" value={String(r.paramCount)}>
              {fmtCount(r.paramCount)}
            </Fact>
            <Fact label="FLOPs / image" testId="probe-flops" value={String(r.flopsPerImage)}>
              {fmtCount(r.flopsPerImage)}FLOP
            </Fact>
            <Fact label="Build / forward" testId="probe-ms" value={String(r.forwardMs)} data={{ 'data-build-ms': String(r.buildMs), 'data-forward-ms': String(r.forwardMs) }}>
              {fmtMs(r.buildMs)} / {fmtMs(r.forwardMs)}
              {(r.backend === 'webgpu' || r.backend === 'webgl') && <span className="muted"> (cold: includes shader compilation)</span>}
            </Fact>
            <Fact label="Tensors before / after" testId="probe-tensors" value={`${r.numTensorsBefore},${r.numTensorsAfter}`} data={{ 'data-before': String(r.numTensorsBefore), 'data-after': String(r.numTensorsAfter) }}>
              {r.numTensorsBefore} / {r.numTensorsAfter}{' '}
              {r.numTensorsBefore === r.numTensorsAfter ? <span className="ok">no leak</span> : <span className="bad">leak</span>}
            </Fact>
          </dl>
        )}
        {probe.error && <ErrorBox testId="probe-error" error={probe.error} />}
      </details>
    </section>
  );
}
