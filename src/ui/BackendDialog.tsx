/**
 * Backend warnings that the Engine panel's choice can lead to:
 *
 *  - BackendDialog: asked for webgpu on an adapter known to be software (engine.pending),
 *    a modal says what that costs before anything is switched; the default button keeps
 *    the current backend.
 *  - SlowBackendNotice: while webgpu runs on a software adapter (engine.slowAdapter), a
 *    line beside Generate says why it is slow, that the choice is not remembered on this
 *    device, and offers the way back.
 *
 * Native <dialog>: focus is trapped while open and Escape keeps the current backend.
 */
import { useEffect, useRef } from 'react';
import { useApp } from './storeContext';

export function BackendDialog() {
  const pending = useApp((s) => s.engine.pending);
  const current = useApp((s) => s.engine.info?.backend ?? 'the current backend');
  const actions = useApp((s) => s.actions);
  const ref = useRef<HTMLDialogElement>(null);
  const open = pending !== null;

  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);

  return (
    <dialog ref={ref} className="backend-dialog" data-testid="backend-dialog" aria-labelledby="backend-dialog-title" onCancel={() => actions.cancelBackendSwitch()} onClose={() => actions.cancelBackendSwitch()}>
      {pending && (
        <div className="dialog-body" data-backend={pending.backend}>
          <h2 id="backend-dialog-title">Switch to WebGPU on a software adapter?</h2>
          <p>
            This device’s WebGPU adapter is <strong>{pending.adapter}</strong>, a software one ({pending.why}): the GPU is emulated on
            the CPU. There, WebGPU is about 40 times slower than {current}. Measured on a 2-core machine: Generate stays disabled for about
            45 s while shaders compile, then 4 images take close to a minute.
          </p>
          <p className="muted small">
            If you switch, the choice holds for this visit only; this device keeps starting on auto. A “Back to auto” button beside
            Generate undoes it.
          </p>
          <div className="controls">
            <button type="button" className="primary" data-testid="backend-dialog-keep" autoFocus onClick={() => actions.cancelBackendSwitch()}>
              Stay on {current}
            </button>
            <button type="button" className="secondary" data-testid="backend-dialog-switch" onClick={() => void actions.initEngine(pending.backend, { confirmed: true })}>
              Switch to WebGPU anyway
            </button>
          </div>
        </div>
      )}
    </dialog>
  );
}

export function SlowBackendNotice() {
  const slow = useApp((s) => s.engine.slowAdapter);
  const initialising = useApp((s) => s.engine.status === 'initialising');
  const actions = useApp((s) => s.actions);
  if (!slow) return null;
  return (
    <div className="warning slow-backend" role="status" data-testid="slow-backend">
      <p>
        WebGPU runs on <strong>{slow}</strong>, a software adapter: warming up takes tens of seconds and every image seconds (wasm is about 40
        times faster here). This choice is not remembered: the next visit starts on auto.
      </p>
      <button type="button" className="secondary" data-testid="slow-backend-auto" disabled={initialising} onClick={() => void actions.initEngine('auto')}>
        Back to auto
      </button>
    </div>
  );
}
