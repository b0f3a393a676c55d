/**
 * A 2-D scatter plot on a canvas: the real points in grey underneath, generated points in
 * the recipe's colour on top, over the square [−extent, extent]² with a light grid at the
 * even coordinates (where the 25 Gaussians sit). Redrawn only when its inputs change,
 * which is once per lab report or slider move, not per iteration.
 *
 * The canvas carries what it drew as data attributes (points drawn, points outside the
 * square, a hash of the drawn coordinates), so a test can tell two frames apart without
 * reading pixels.
 */
import { useEffect, useRef } from 'react';

/** Canvas pixels per side; CSS scales the element to its column. */
const SIZE = 400;

/** FNV-1a over the float bits of the points (the same points → the same hash). */
export function pointsHash(points: Float32Array): string {
  const bytes = new Uint8Array(points.buffer, points.byteOffset, points.byteLength);
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16);
}

function draw(ctx: CanvasRenderingContext2D, points: Float32Array, extent: number, colour: string, radius: number): number {
  const scale = SIZE / (2 * extent);
  let outside = 0;
  ctx.fillStyle = colour;
  ctx.beginPath();
  for (let i = 0; i + 1 < points.length; i += 2) {
    const x = points[i];
    const y = points[i + 1];
    if (!(Math.abs(x) <= extent && Math.abs(y) <= extent)) {
      outside++;
      continue;
    }
    // y up, as on paper.
    const px = (x + extent) * scale;
    const py = (extent - y) * scale;
    ctx.moveTo(px + radius, py);
    ctx.arc(px, py, radius, 0, 2 * Math.PI);
  }
  ctx.fill();
  return outside;
}

export function ScatterPlot(props: {
  testId: string;
  label: string;
  real: Float32Array | null;
  points: Float32Array | null;
  extent: number;
  colour: string;
  data?: Record<string, string>;
}) {
  const { testId, label, real, points, extent, colour, data } = props;
  const ref = useRef<HTMLCanvasElement>(null);

  useEffect(() => {
    const canvas = ref.current;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx) return;
    ctx.clearRect(0, 0, SIZE, SIZE);
    const scale = SIZE / (2 * extent);
    ctx.strokeStyle = 'rgba(128, 128, 150, 0.18)';
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let v = -Math.floor(extent / 2) * 2; v <= extent; v += 2) {
      const p = Math.round((v + extent) * scale) + 0.5;
      ctx.moveTo(p, 0);
      ctx.lineTo(p, SIZE);
      ctx.moveTo(0, p);
      ctx.lineTo(SIZE, p);
    }
    ctx.stroke();
    ctx.globalAlpha = 0.35;
    if (real) draw(ctx, real, extent, '#8a8f9e', 1.6);
    ctx.globalAlpha = 0.75;
    const outside = points ? draw(ctx, points, extent, colour, 1.6) : 0;
    ctx.globalAlpha = 1;
    canvas.dataset.points = String(points ? points.length / 2 : 0);
    canvas.dataset.outside = String(outside);
    canvas.dataset.hash = points ? pointsHash(points) : '';
  }, [real, points, extent, colour]);

  return <canvas ref={ref} className="scatter" width={SIZE} height={SIZE} data-testid={testId} data-points="0" role="img" aria-label={label} {...data} />;
}
