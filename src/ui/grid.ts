/**
 * Pixel layout for the UI: batch grids, single tiles, filmstrips, nearest-neighbour
 * upscaling for PNG export, and the hit-test geometry of a grid (pure: no DOM).
 *
 * Frames are RGBA8 `[batch, height, width, 4]` (src/worker/frames.ts). Every function
 * returns `{ data, width, height }`, the shape of `ImageData`, so a component draws it with
 * one `new ImageData(data, width, height)` + `putImageData`.
 */

export interface Pixels {
  readonly data: Uint8ClampedArray<ArrayBuffer>;
  readonly width: number;
  readonly height: number;
}

export interface GridDims {
  readonly cols: number;
  readonly rows: number;
}

/** Square-ish grid: 1 → 1×1, 4 → 2×2, 16 → 4×4, 64 → 8×8, others ⌈√n⌉ columns. */
export function gridDims(batch: number): GridDims {
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`batch must be a positive integer, got ${batch}`);
  const cols = Math.ceil(Math.sqrt(batch));
  return { cols, rows: Math.ceil(batch / cols) };
}

/** Gap between tiles in pixels of the source images: none for a single image. */
export function gridGap(batch: number): number {
  return batch === 1 ? 0 : 2;
}

export interface GridGeometry extends GridDims {
  readonly tileW: number;
  readonly tileH: number;
  readonly gap: number;
  readonly width: number;
  readonly height: number;
}

export function gridGeometry(batch: number, tileW: number, tileH: number, gap = gridGap(batch)): GridGeometry {
  const { cols, rows } = gridDims(batch);
  return { cols, rows, tileW, tileH, gap, width: cols * tileW + (cols - 1) * gap, height: rows * tileH + (rows - 1) * gap };
}

/** Fill of the gaps and empty cells: mid grey, visible against black and white digits. */
const GAP_RGBA = [128, 128, 128, 255] as const;

function filled(width: number, height: number): Uint8ClampedArray<ArrayBuffer> {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < data.length; i += 4) {
    data[i] = GAP_RGBA[0];
    data[i + 1] = GAP_RGBA[1];
    data[i + 2] = GAP_RGBA[2];
    data[i + 3] = GAP_RGBA[3];
  }
  return data;
}

function checkFrame(rgba: Uint8ClampedArray, batch: number, w: number, h: number): void {
  if (rgba.length !== batch * w * h * 4) {
    throw new RangeError(`frame has ${rgba.length} bytes, expected ${batch * w * h * 4} for ${batch} × ${w}×${h} RGBA`);
  }
}

/** Copies tile `index` of a frame into `dst` at (x, y). */
function blit(src: Uint8ClampedArray, index: number, w: number, h: number, dst: Uint8ClampedArray, dstWidth: number, x: number, y: number): void {
  const tileBytes = w * h * 4;
  const rowBytes = w * 4;
  for (let r = 0; r < h; r++) {
    const from = index * tileBytes + r * rowBytes;
    dst.set(src.subarray(from, from + rowBytes), ((y + r) * dstWidth + x) * 4);
  }
}

/**
 * Lays a batch frame out as a grid. For a batch of 1 the result's bytes are the frame's
 * own (same layout, no gap): a canvas showing it holds exactly the stored pixels.
 */
export function composeGrid(rgba: Uint8ClampedArray, batch: number, w: number, h: number): Pixels {
  checkFrame(rgba, batch, w, h);
  const g = gridGeometry(batch, w, h);
  const data = filled(g.width, g.height);
  for (let i = 0; i < batch; i++) {
    const col = i % g.cols;
    const row = Math.floor(i / g.cols);
    blit(rgba, i, w, h, data, g.width, col * (w + g.gap), row * (h + g.gap));
  }
  return { data, width: g.width, height: g.height };
}

/** One image of a batch frame. */
export function extractTile(rgba: Uint8ClampedArray, batch: number, w: number, h: number, index: number): Pixels {
  checkFrame(rgba, batch, w, h);
  if (!Number.isInteger(index) || index < 0 || index >= batch) throw new RangeError(`sample ${index} is outside 0..${batch - 1}`);
  const bytes = w * h * 4;
  return { data: rgba.slice(index * bytes, (index + 1) * bytes), width: w, height: h };
}

/**
 * Rows of equally sized tiles side by side (a filmstrip: one row per view, one column per
 * step). A null tile (not arrived yet) stays gap-coloured.
 */
export function filmstrip(rows: readonly (readonly (Pixels | null)[])[], w: number, h: number, gap = 2): Pixels {
  const cols = Math.max(0, ...rows.map((r) => r.length));
  if (rows.length === 0 || cols === 0) throw new RangeError('a filmstrip needs at least one tile');
  const width = cols * w + (cols - 1) * gap;
  const height = rows.length * h + (rows.length - 1) * gap;
  const data = filled(width, height);
  rows.forEach((row, r) =>
    row.forEach((tile, c) => {
      if (!tile) return;
      if (tile.width !== w || tile.height !== h) throw new RangeError(`tile ${r},${c} is ${tile.width}×${tile.height}, expected ${w}×${h}`);
      blit(tile.data, 0, w, h, data, width, c * (w + gap), r * (h + gap));
    }),
  );
  return { data, width, height };
}

/**
 * A batch frame with a partner image beside each sample: every cell of the grid is the
 * sample, a 1-pixel gap, then its partner (null: left gap-coloured), and cells are 3 pixels
 * apart so the pairs read as pairs. The geometry locates each pair (for `tileRect`).
 */
export function pairGrid(rgba: Uint8ClampedArray, batch: number, w: number, h: number, partners: readonly (Pixels | null)[]): { readonly px: Pixels; readonly geometry: GridGeometry } {
  checkFrame(rgba, batch, w, h);
  if (partners.length !== batch) throw new RangeError(`${batch} samples need ${batch} partners, got ${partners.length}`);
  const geometry = gridGeometry(batch, 2 * w + 1, h, 3);
  const data = filled(geometry.width, geometry.height);
  for (let i = 0; i < batch; i++) {
    const x = (i % geometry.cols) * (geometry.tileW + geometry.gap);
    const y = Math.floor(i / geometry.cols) * (h + geometry.gap);
    blit(rgba, i, w, h, data, geometry.width, x, y);
    const p = partners[i];
    if (!p) continue;
    if (p.width !== w || p.height !== h) throw new RangeError(`partner ${i} is ${p.width}×${p.height}, expected ${w}×${h}`);
    blit(p.data, 0, w, h, data, geometry.width, x + w + 1, y);
  }
  return { px: { data, width: geometry.width, height: geometry.height }, geometry };
}

/** Nearest-neighbour upscale by an integer factor (crisp pixels in exported PNGs). */
export function upscaleNearest(src: Pixels, factor: number): Pixels {
  if (!Number.isInteger(factor) || factor < 1) throw new RangeError(`scale factor must be a positive integer, got ${factor}`);
  if (factor === 1) return src;
  const width = src.width * factor;
  const height = src.height * factor;
  const data = new Uint8ClampedArray(width * height * 4);
  const s = new Uint32Array(src.data.buffer, src.data.byteOffset, src.width * src.height);
  const d = new Uint32Array(data.buffer);
  for (let y = 0; y < height; y++) {
    const sy = Math.floor(y / factor) * src.width;
    for (let x = 0; x < width; x++) d[y * width + x] = s[sy + Math.floor(x / factor)];
  }
  return { data, width, height };
}

/** Where tile `index` sits, in percent of the grid's width and height (for overlays). */
export function tileRect(g: GridGeometry, index: number): { left: number; top: number; width: number; height: number } {
  const col = index % g.cols;
  const row = Math.floor(index / g.cols);
  return {
    left: (100 * col * (g.tileW + g.gap)) / g.width,
    top: (100 * row * (g.tileH + g.gap)) / g.height,
    width: (100 * g.tileW) / g.width,
    height: (100 * g.tileH) / g.height,
  };
}

/** The sample under a point given in grid pixels, or null for a gap or an empty cell. */
export function tileAt(g: GridGeometry, batch: number, x: number, y: number): number | null {
  if (x < 0 || y < 0 || x >= g.width || y >= g.height) return null;
  const col = Math.floor(x / (g.tileW + g.gap));
  const row = Math.floor(y / (g.tileH + g.gap));
  if (x - col * (g.tileW + g.gap) >= g.tileW || y - row * (g.tileH + g.gap) >= g.tileH) return null;
  const i = row * g.cols + col;
  return i < batch ? i : null;
}
