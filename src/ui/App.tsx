/**
 * The app shell: engine status and the generator self-test.
 *
 * Components only read the store and call its actions; no logic about backends or tensors
 * lives here. Values that tests read carry `data-testid`, and machine-readable copies of
 * numbers sit in `data-*` attributes so a test never parses formatted text.
 */
import { createContext, useContext, type ReactNode } from 'react';
import { BACKEND_NAMES, isBackendRequest, type AdapterFacts, type BackendRequest, type SerializedError } from '../worker/protocol';
import { useAppStore, type AppState, type AppStore } from '../store/store';

const StoreContext = createContext<AppStore | null>(null);

function useApp<T>(selector: (s: AppState) => T): T {
  const store = useContext(StoreContext);
  if (!store) throw new Error('App components must be rendered inside <App store={…}>');
  return useAppStore(store, selector);
}

export function App({ store }: { store: AppStore }) {
  return (
    <StoreContext.Provider value={store}>
      <div className="app">
        <header className="app-header">
          <h1 data-testid="title">ddgan-web</h1>
          <p className="tagline">
            Denoising Diffusion GANs in your tab: a few large denoising steps, each one a conditional GAN, run by TensorFlow.js in a
            Web Worker.
          </p>
        </header>
        <main className="cards">
          <EnginePanel />
          <ProbePanel />
        </main>
        <footer className="app-footer">Everything runs locally; no data leaves this page.</footer>
      </div>
    </StoreContext.Provider>
  );
}

// ─── engine ─────────────────────────────────────────────────────────────────────────────

const BACKEND_OPTIONS: readonly BackendRequest[] = ['auto', ...BACKEND_NAMES];

function EnginePanel() {
  const engine = useApp((s) => s.engine);
  const initEngine = useApp((s) => s.actions.initEngine);
  const probing = useApp((s) => s.probe.status === 'running');
  const info = engine.info;
  // Switching backends mid-probe would queue behind the probe anyway; disabling says so.
  const busy = engine.status === 'initialising' || probing;

  return (
    <section className="card" aria-labelledby="engine-heading">
      <div className="card-head">
        <h2 id="engine-heading">Engine</h2>
        <StatusPill testId="engine-status" state={engine.status} />
      </div>

      <label className="field">
        <span>Backend</span>
        <select
          data-testid="backend-select"
          value={engine.requested}
          disabled={busy}
          onChange={(e) => {
            const v = e.target.value;
            if (isBackendRequest(v)) void initEngine(v);
          }}
        >
          {BACKEND_OPTIONS.map((b) => (
            <option key={b} value={b}>
              {b === 'auto' ? 'auto (by adapter)' : b}
            </option>
          ))}
        </select>
      </label>

      {info && (
        <dl className="facts">
          <Fact label="Running on" testId="backend" value={info.backend}>
            <strong>{info.backend}</strong>
            {info.wasm && (
              <span className="muted">
                {' '}
                ({info.wasm.simd ? 'SIMD' : 'no SIMD'}, {info.wasm.threads} {info.wasm.threads === 1 ? 'thread' : 'threads'})
              </span>
            )}
            {info.requested !== 'auto' && <span className="muted"> (requested)</span>}
          </Fact>
          <Fact label="Adapter" testId="adapter" value={adapterText(info.adapter)} data={adapterData(info.adapter)}>
            {adapterText(info.adapter)}
          </Fact>
          <Fact label="Why" testId="backend-reason" value={info.reason}>
            <span className="reason">{info.reason}</span>
          </Fact>
          <Fact label="Live tensors" testId="init-num-tensors" value={String(info.numTensors)}>
            {info.numTensors}
          </Fact>
          <Fact label="Init time" testId="init-ms" value={String(info.ms)}>
            {fmtMs(info.ms)}
          </Fact>
        </dl>
      )}
      {engine.error && <ErrorBox testId="engine-error" error={engine.error} />}
    </section>
  );
}

function adapterText(a: AdapterFacts): string {
  if (!a.available) return `none — ${a.detail}`;
  const parts = [a.vendor, a.architecture, a.device, a.description].filter((s) => s.length > 0);
  const name = parts.length > 0 ? [...new Set(parts)].join(' · ') : 'unnamed adapter';
  return a.isFallbackAdapter ? `${name} (software fallback)` : name;
}

function adapterData(a: AdapterFacts): Record<string, string> {
  if (!a.available) return { 'data-available': 'false' };
  return {
    'data-available': 'true',
    'data-vendor': a.vendor,
    'data-architecture': a.architecture,
    'data-description': a.description,
    'data-fallback': String(a.isFallbackAdapter),
  };
}

// ─── generator self-test ────────────────────────────────────────────────────────────────

function ProbePanel() {
  const probe = useApp((s) => s.probe);
  const engineReady = useApp((s) => s.engine.status === 'ready');
  const { setProbeSettings, runProbe } = useApp((s) => s.actions);
  const running = probe.status === 'running';
  const r = probe.result;

  return (
    <section className="card" aria-labelledby="probe-heading">
      <div className="card-head">
        <h2 id="probe-heading">Generator self-test</h2>
        <StatusPill testId="probe-status" state={probe.status} />
      </div>
      <p className="muted">
        Builds a generator with random weights and runs one forward pass in the worker: checks the backend's kernels, output range and
        tensor bookkeeping.
      </p>

      <div className="row">
        <NumberField
          label="Base channels"
          testId="probe-base-channels"
          value={probe.settings.baseChannels}
          min={8}
          step={8}
          disabled={running}
          onChange={(v) => setProbeSettings({ baseChannels: v })}
        />
        <NumberField label="Batch" testId="probe-batch" value={probe.settings.batch} min={1} max={64} disabled={running} onChange={(v) => setProbeSettings({ batch: v })} />
        <NumberField label="Seed" testId="probe-seed" value={probe.settings.seed} min={0} disabled={running} onChange={(v) => setProbeSettings({ seed: v })} />
      </div>

      <button type="button" className="primary" data-testid="probe-button" disabled={!engineReady || running} onClick={() => void runProbe()}>
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
    </section>
  );
}

// ─── small pieces ───────────────────────────────────────────────────────────────────────

function StatusPill({ testId, state }: { testId: string; state: string }) {
  return (
    <span className={`pill pill-${state}`} data-testid={testId} data-state={state}>
      {state}
    </span>
  );
}

function Fact({ label, testId, value, data, children }: { label: string; testId: string; value: string; data?: Record<string, string>; children: ReactNode }) {
  return (
    <>
      <dt>{label}</dt>
      <dd data-testid={testId} data-value={value} {...data}>
        {children}
      </dd>
    </>
  );
}

function NumberField(props: { label: string; testId: string; value: number; min?: number; max?: number; step?: number; disabled?: boolean; onChange(v: number): void }) {
  return (
    <label className="field">
      <span>{props.label}</span>
      <input
        type="number"
        data-testid={props.testId}
        value={props.value}
        min={props.min}
        max={props.max}
        step={props.step ?? 1}
        disabled={props.disabled}
        onChange={(e) => {
          const v = e.target.valueAsNumber;
          // An empty or half-typed field is NaN: keep the last valid value instead.
          if (Number.isFinite(v)) props.onChange(Math.round(v));
        }}
      />
    </label>
  );
}

function ErrorBox({ testId, error }: { testId: string; error: SerializedError }) {
  return (
    <div className="error" role="alert" data-testid={testId} data-code={error.code} data-name={error.name}>
      <strong>{error.name}</strong> <code>{error.code}</code>
      <p>{error.message}</p>
    </div>
  );
}

function fmtMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}

function fmtCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return `${n} `;
}
