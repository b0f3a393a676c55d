/** PNG output for the CLIs. Images are float NHWC in [−1, 1] (1 or 3 channels). */
import { PNG } from 'pngjs';
import { writeFile } from 'node:fs/promises';

export interface ImageBatch {
  data: Float32Array;
  count: number;
  size: number;
  channels: number;
}

const toByte = (v: number): number => Math.max(0, Math.min(255, Math.round((v + 1) * 127.5)));

/** Lays `count` images out on a grid with `pad` pixels of grey between them. */
export function gridPng(batch: ImageBatch, cols = Math.ceil(Math.sqrt(batch.count)), pad = 2, scale = 1): Buffer {
  const { count, size, channels, data } = batch;
  const rows = Math.ceil(count / cols);
  const cell = size * scale;
  const width = cols * cell + (cols + 1) * pad;
  const height = rows * cell + (rows + 1) * pad;
  const png = new PNG({ width, height });
  png.data.fill(128);
  for (let i = 3; i < png.data.length; i += 4) png.data[i] = 255;
  for (let n = 0; n < count; n++) {
    const ox = pad + (n % cols) * (cell + pad);
    const oy = pad + Math.floor(n / cols) * (cell + pad);
    for (let y = 0; y < cell; y++) {
      for (let x = 0; x < cell; x++) {
        const src = ((n * size + Math.floor(y / scale)) * size + Math.floor(x / scale)) * channels;
        const dst = ((oy + y) * width + ox + x) * 4;
        for (let c = 0; c < 3; c++) png.data[dst + c] = toByte(data[src + (channels === 1 ? 0 : c)]);
        png.data[dst + 3] = 255;
      }
    }
  }
  return PNG.sync.write(png);
}

export async function writeGridPng(file: string, batch: ImageBatch, cols?: number, scale = 1): Promise<void> {
  await writeFile(file, gridPng(batch, cols, 2, scale));
}

/** One image of a batch as its own PNG at the model's resolution. */
export function imagePng(batch: ImageBatch, index: number): Buffer {
  return gridPng({ ...batch, count: 1, data: batch.data.subarray(index * batch.size * batch.size * batch.channels) }, 1, 0);
}
