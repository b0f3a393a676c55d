/** Backend choice: what runs, on which adapter, why, and the user's override (remembered). */
import { useId } from 'react';
import { BACKEND_NAMES, isBackendRequest, type AdapterFacts, type BackendRequest } from '../worker/protocol';
import { ErrorBox, Fact, StatusPill, fmtBytes, fmtMs } from './common';
import { useApp } from './storeContext';

const BACKEND_OPTIONS: readonly BackendRequest[] = ['auto', ...BACKEND_NAMES];

export function EnginePanel() {
  const engine = useApp((s) => s.engine);
  const initEngine = useApp((s) => s.actions.initEngine);
  const probing = useApp((s) => s.probe.status === 'running');
  const selectId = useId();
  const info = engine.info;
  const busy = engine.status === 'initialising' || probing;

  return (
    <section className="card" aria-labelledby="engine-heading">
      <div className="card-head">
        <h2 id="engine-heading">Engine</h2>
        <StatusPill testId="engine-status" state={engine.status} />
      </div>

      <div className="field">
        <label htmlFor={selectId}>Backend</label>
        <select
          id={selectId}
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
        <span className="muted small">
          {engine.remember ? 'A backend picked here is remembered on this device.' : 'This choice holds for this visit only: it runs slowly here, so it is not remembered.'}
        </span>
      </div>

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
          {info.wasm && (
            <Fact
              label="Threads"
              testId="wasm-threads"
              value={String(info.wasm.threads)}
              data={{
                'data-requested': String(info.wasm.requestedThreads),
                'data-threaded': String(info.wasm.threaded),
                'data-isolated': String(info.wasm.isolated),
              }}
            >
              <span className="reason">{info.wasm.why}</span>
            </Fact>
          )}
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
          {engine.memory && (
            <Fact label="Worker memory" testId="worker-tensors" value={String(engine.memory.numTensors)} data={{ 'data-bytes': String(engine.memory.numBytes) }}>
              {engine.memory.numTensors} tensors · {fmtBytes(engine.memory.numBytes)}
            </Fact>
          )}
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
