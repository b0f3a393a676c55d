/**
 * A batch frame drawn as a grid on a canvas at the model's native resolution (CSS scales it
 * up with crisp pixels), with one transparent button per sample on top so samples are
 * clickable and keyboard-reachable. For a batch of 1 the canvas holds exactly the frame's
 * bytes (grid.ts), which is what the browser tests compare against.
 */
import { useEffect, useMemo, useRef } from 'react';
import type { Frame } from '../store/history';
import { composeGrid, gridGeometry, tileRect } from './grid';

export interface FrameCanvasProps {
  readonly frame: Frame | null;
  readonly batch: number;
  readonly width: number;
  readonly height: number;
  readonly testId: string;
  /** Accessible name of the picture. */
  readonly label: string;
  readonly onSelect?: (sample: number) => void;
  /** Prefix for the per-sample buttons' test ids (`${prefix}-${i}`). */
  readonly sampleTestId?: string;
  readonly className?: string;
}

export function FrameCanvas({ frame, batch, width, height, testId, label, onSelect, sampleTestId, className }: FrameCanvasProps) {
  const ref = useRef<HTMLCanvasElement>(null);
  const g = useMemo(() => gridGeometry(batch, width, height), [batch, width, height]);

  useEffect(() => {
    const canvas = ref.current;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx) return;
    if (!frame) {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      return;
    }
    const px = composeGrid(frame.rgba, batch, width, height);
    ctx.putImageData(new ImageData(px.data, px.width, px.height), 0, 0);
  }, [frame, batch, width, height]);

  return (
    <div className={`frame ${className ?? ''}`} style={{ aspectRatio: `${g.width} / ${g.height}` }}>
      <canvas
        ref={ref}
        width={g.width}
        height={g.height}
        data-testid={testId}
        data-frame-hash={frame ? String(frame.hash) : ''}
        data-batch={batch}
        role="img"
        aria-label={label}
      />
      {onSelect && frame && (
        <div className="frame-overlay">
          {Array.from({ length: batch }, (_, i) => {
            const r = tileRect(g, i);
            return (
              <button
                key={i}
                type="button"
                className="tile-button"
                data-testid={sampleTestId ? `${sampleTestId}-${i}` : undefined}
                aria-label={`Enlarge sample ${i + 1} with its trajectory`}
                style={{ left: `${r.left}%`, top: `${r.top}%`, width: `${r.width}%`, height: `${r.height}%` }}
                onClick={() => onSelect(i)}
              />
            );
          })}
        </div>
      )}
    </div>
  );
}
