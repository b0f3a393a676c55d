/**
 * One sample, enlarged, with its whole trajectory as a filmstrip: the x_k row on top, the
 * x̂₀ predictions below, x_T on the left. Downloads: the sample and the filmstrip as PNG.
 * A native <dialog>: focus is trapped while open and Escape closes it.
 */
import { useEffect, useMemo, useRef } from 'react';
import type { Trajectory } from '../store/history';
import { extractTile, filmstrip, type Pixels } from './grid';
import { downloadPng } from './download';
import { xSub } from './common';
import { useApp } from './storeContext';

function PixelsCanvas({ px, testId, label }: { px: Pixels; testId: string; label: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const ctx = ref.current?.getContext('2d');
    ctx?.putImageData(new ImageData(px.data, px.width, px.height), 0, 0);
  }, [px]);
  return <canvas ref={ref} width={px.width} height={px.height} data-testid={testId} role="img" aria-label={label} style={{ aspectRatio: `${px.width} / ${px.height}` }} />;
}

function tileOf(t: Trajectory, rgba: Uint8ClampedArray | undefined, sample: number): Pixels | null {
  return rgba ? extractTile(rgba, t.batch, t.width, t.height, sample) : null;
}

export function SampleDialog() {
  const enlarged = useApp((s) => s.enlarged);
  const main = useApp((s) => s.gen.trajectory);
  const branches = useApp((s) => s.reroll.branches);
  const seed = useApp((s) => s.gen.stats?.seed ?? s.gen.seed);
  const close = useApp((s) => s.actions.closeEnlarged);
  const ref = useRef<HTMLDialogElement>(null);

  const t = enlarged ? (enlarged.source.kind === 'main' ? main : branches[enlarged.source.index]) : null;
  const sample = enlarged?.sample ?? 0;
  const open = Boolean(enlarged && t && sample < t.batch);

  const views = useMemo(() => {
    if (!t || !open) return null;
    const xs = t.xs.map((f) => tileOf(t, f?.rgba, sample));
    const preds = t.preds.map((f) => tileOf(t, f?.rgba, sample));
    const final = xs[t.T] ?? [...xs].reverse().find((x) => x !== null) ?? null;
    return { final, strip: filmstrip([xs, preds], t.width, t.height, 2) };
  }, [t, open, sample]);

  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);

  const name = enlarged?.source.kind === 'branch' ? `branch${enlarged.source.index + 1}-` : '';
  return (
    <dialog ref={ref} className="sample-dialog" data-testid="sample-dialog" aria-labelledby="sample-dialog-title" onClose={close} onCancel={close}>
      {open && t && views && (
        <div className="dialog-body">
          <div className="card-head">
            <h2 id="sample-dialog-title">
              Sample {sample + 1}
              {enlarged?.source.kind === 'branch' && <span className="muted"> · branch {enlarged.source.index + 1}</span>}
            </h2>
            <button type="button" className="icon" data-testid="dialog-close" aria-label="Close" onClick={close}>
              ✕
            </button>
          </div>
          <div className="dialog-grid">
            <div className="enlarged">{views.final && <PixelsCanvas px={views.final} testId="sample-canvas" label={`sample ${sample + 1}, x₀`} />}</div>
            <div className="strip">
              <PixelsCanvas px={views.strip} testId="filmstrip-canvas" label={`trajectory of sample ${sample + 1}: x_k on top, predicted x̂₀ below`} />
              <div className="strip-labels" aria-hidden="true" style={{ gridTemplateColumns: `repeat(${t.T + 1}, 1fr)` }}>
                {Array.from({ length: t.T + 1 }, (_, p) => (
                  <span key={p}>{xSub(t.T - p)}</span>
                ))}
              </div>
              <p className="muted small">top: x<sub>k</sub> · bottom: x̂<sub>0</sub> predicted from x<sub>k</sub></p>
            </div>
          </div>
          <div className="row">
            <button
              type="button"
              className="primary"
              data-testid="download-sample"
              disabled={!views.final}
              onClick={() => views.final && void downloadPng(views.final, `ddgan-${seed}-${name}sample${sample + 1}.png`)}
            >
              ⤓ Sample PNG
            </button>
            <button type="button" className="secondary" data-testid="download-filmstrip" onClick={() => void downloadPng(views.strip, `ddgan-${seed}-${name}sample${sample + 1}-filmstrip.png`, 8)}>
              ⤓ Filmstrip PNG
            </button>
          </div>
        </div>
      )}
    </dialog>
  );
}
