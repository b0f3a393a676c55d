/** Upload fixtures shared by the browser tests. */
import { PNG } from 'pngjs';

/** A w×h PNG with a diagonal gradient in colour `rgb` (an upload for the fine-tune tests). */
export function gradientPng(w: number, h: number, rgb: [number, number, number]): Buffer {
  const p = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      const f = (x + y) / (w + h);
      p.data[i] = rgb[0] * f;
      p.data[i + 1] = rgb[1] * f;
      p.data[i + 2] = rgb[2] * f;
      p.data[i + 3] = 255;
    }
  }
  return PNG.sync.write(p);
}
