/** Draws pixels (a grid of a batch, or one image) onto a canvas at native size. */
import { useEffect, useRef } from 'react';
import type { Pixels } from './grid';

export function RgbaCanvas({ pixels, testId, label, className, data }: { pixels: Pixels; testId?: string; label: string; className?: string; data?: Record<string, string> }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const ctx = ref.current?.getContext('2d');
    ctx?.putImageData(new ImageData(pixels.data, pixels.width, pixels.height), 0, 0);
  }, [pixels]);
  return <canvas ref={ref} className={className} width={pixels.width} height={pixels.height} data-testid={testId} role="img" aria-label={label} {...data} />;
}

/** Grey or RGB uint8 pixels (size × size × channels) as RGBA for a canvas. */
export function toRgba(pixels: Uint8Array, size: number, channels: number): Pixels {
  const data = new Uint8ClampedArray(size * size * 4);
  for (let p = 0; p < size * size; p++) {
    for (let c = 0; c < 3; c++) data[p * 4 + c] = pixels[p * channels + (channels === 1 ? 0 : c)];
    data[p * 4 + 3] = 255;
  }
  return { data, width: size, height: size };
}
